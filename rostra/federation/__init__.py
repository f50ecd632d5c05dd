"""ActivityPub: how Rostra's people reach, and are reached by, people on other servers.

Remote accounts and posts live in the same tables as local ones (``Account.domain`` is set,
``Post.author`` is such an account); this app holds what only federation needs: keys and
inboxes of actors, the state of other servers, domain blocks and the activities received.
"""
