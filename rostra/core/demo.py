"""Demo data at scale: ``rostra demo --users N --posts M --seed S``.

Seeds people, a follow graph with a heavy tail, posts spread over the last sixty days
(threads, echoes with and without words, hashtags, mentions, links), votes, bookmarks and
every home feed, in bulk: rows are written in big batches (COPY on PostgreSQL, executemany
on SQLite), one transaction per batch, with the secondary indexes of the big tables
dropped during the load and rebuilt once at the end. 10,000 people and 1,000,000 posts
take a few minutes on two cores.

Nothing here goes through ``actions``: the point is to produce, fast, exactly the rows the
actions would have produced, counters included, so feeds and pages can be measured at
scale (``bench/``). ``tests/test_demo.py`` checks that the rows agree with each other and
that the HTML is what ``render_text`` would have made.

The same ``--seed`` gives the same people, graph and texts; IDs and dates follow the clock
(everything lies in the sixty days before the run). All demo people share one password,
``demo-password-1``; the person ``demo`` follows many people and is followed by many.
"""

import bisect
import heapq
import math
import random
import sys
import time
from datetime import datetime, timedelta, timezone
from html import escape

from tqdm import tqdm

DEMO_PASSWORD = "demo-password-1"
BENCH_USERNAME = "demo"
WINDOW_DAYS = 60
DAY_MS = 86_400_000
BATCH = 20_000
# Below this many posts, dropping and rebuilding indexes costs more than it saves.
REBUILD_INDEXES_FROM = 50_000
BULK_TABLES = (
    "posts_post",
    "timelines_feedentry",
    "posts_vote",
    "accounts_follow",
    "posts_posthashtag",
    "posts_mention",
    "posts_bookmark",
)
_UTC_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

# Share of posts of each kind (the rest are originals).
SHARE_REPLY = 0.30
SHARE_REPLY_TO_REPLY = 0.35  # of replies
SHARE_PLAIN_ECHO = 0.10
SHARE_QUOTE_ECHO = 0.05
SHARE_FOLLOWERS_ONLY = 0.03  # of originals
VOTES_PER_POST = 1.6  # on average, over all posts

ORIGINAL, REPLY, PLAIN_ECHO, QUOTE = 0, 1, 2, 3

# --- Words -------------------------------------------------------------------------------

FIRST_NAMES = """
James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan
Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy Matthew Betty Anthony Sandra
Mark Margaret Donald Ashley Steven Kimberly Andrew Emily Paul Donna Joshua Michelle Kenneth Carol
Kevin Amanda Brian Melissa George Deborah Timothy Stephanie Ronald Dorothy Jason Rebecca Edward
Sharon Jeffrey Laura Ryan Cynthia Jacob Amy Gary Kathleen Nicholas Angela Eric Shirley Jonathan Brenda
Stephen Emma Larry Anna Justin Pamela Scott Nicole Brandon Samantha Benjamin Katherine Samuel
Christine Gregory Debra Alexander Rachel Patrick Carolyn Frank Janet Raymond Maria Jack Olivia Dennis
Heather Jerry Helen Tyler Catherine Aaron Diane Jose Julie Adam Victoria Nathan Joyce Henry Lauren
Zachary Kelly Douglas Christina Peter Ruth Kyle Joan Noah Virginia Ethan Judith Jeremy Evelyn
Christian Hannah Walter Andrea Keith Megan Austin Cheryl Roger Jacqueline Terry Madison Sean Teresa
Gerald Abigail Carl Sophia Dylan Martha Harold Sara Jordan Gloria Jesse Janice Bryan Kathryn Lawrence
Ann Arthur Isabella Gabriel Judy Bruce Charlotte Logan Julia Billy Grace Joe Amber Alan Alice Juan
Denise Elijah Danielle Willie Marilyn Albert Beverly Wayne Natalie Randy Diana Mason Brittany Vincent
Theresa Liam Kayla Roy Alexis Bobby Doris Caleb Lori Bradley Tiffany Russell Kaitlyn Lucas Jasmine
Sofia Mateo Aaliyah Malik Priya Arjun Mei Wei Hiroshi Yuki Fatima Omar Ahmed Leila Chidi Amara
Kwame Nia Ingrid Lars Sven Astrid Pierre Camille Giulia Marco Lucia Diego Valentina Carlos Ana
""".split()

LAST_NAMES = """
Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez
Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark
Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams
Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker
Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper
Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James
Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross Foster
Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales Fisher
Vasquez Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds Griffin Wallace Moreno
West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall
Owens Harrison Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb
Tucker Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason
Dixon Munoz Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren
Mills Meyer Rice Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan Gardner Payne
Okafor Mensah Tanaka Sato Novak Kowalski Larsen Johansson Dubois Rossi Bianchi Costa Silva Singh
""".split()

PLACES = """
Ohio Texas Florida Georgia Tennessee Arizona Colorado Montana Idaho Oregon Nevada Kentucky Iowa
Kansas Nebraska Alabama Carolina Virginia Michigan Wisconsin Minnesota Maine Vermont Utah Oklahoma
Chicago Denver Austin Houston Nashville Phoenix Boise Tulsa Omaha Atlanta Dallas Miami Tampa
Seattle Portland Boston Memphis Louisville Cleveland Pittsburgh Richmond Charlotte Savannah
""".split()

ROLES = [
    "Dad of three", "Mom of two", "Retired teacher", "Nurse", "Small business owner", "Veteran",
    "Software developer", "Farmer", "Truck driver", "Student", "Electrician", "Real estate agent",
    "Pastor", "Firefighter", "Photographer", "Graphic designer", "Mechanic", "Accountant",
    "Chef", "Writer", "Coach", "Grandma", "Grandpa", "Engineer", "Paramedic", "Barber",
    "Podcaster", "Home cook", "Amateur astronomer", "Beekeeper", "Carpenter", "Librarian",
]
INTERESTS = [
    "coffee", "fishing", "hunting season", "college football", "baseball", "gardening", "BBQ",
    "classic cars", "country music", "hiking", "history", "woodworking", "the outdoors",
    "old movies", "jazz", "camping", "cooking", "running", "board games", "chess", "photography",
    "dogs", "cats", "horses", "sci-fi", "true crime podcasts", "vinyl records", "bass guitar",
    "road trips", "homesteading", "craft beer", "tea", "knitting", "motorcycles", "astronomy",
]
TAGLINES = [
    "Opinions are my own.", "Here for the conversation.", "Free speech, good faith.",
    "Just a regular person.", "Go Dawgs!", "Be kind.", "Coffee first.", "Faith, family, friends.",
    "Say what you mean.", "Slow living.", "Born and raised.", "Still learning.",
    "Mostly harmless.", "Posting from the porch.", "Not a bot.", "Long walks, short posts.",
]
EMOJI = ["😂", "🙏", "👍", "🔥", "❤️", "😅", "🙌", "💯", "😎", "🤔", "👏", "🇺🇸", "☕", "🌻", "⚾", "🏈", "🎸", "🐶", "🌄", "✨"]

# Each topic: tags (most used first), things to talk about, templates for an opening sentence.
TOPICS = {
    "news": (
        ["news", "breaking", "localnews", "politics", "townhall", "election", "economy", "policy"],
        ["the city council vote", "the new zoning plan", "the school board meeting", "the budget hearing",
         "gas prices", "the county fair", "the bridge repairs", "the property tax debate", "the new library",
         "the mayor's press conference", "the ballot measure", "the road closures downtown"],
        ["Anyone else following {thing}?", "Big news today about {thing}.", "Can't believe what happened with {thing}.",
         "Just got back from {thing}. Packed room.", "Honest question about {thing}: who is paying for it?",
         "Read the whole report on {thing} so you don't have to."],
    ),
    "sports": (
        ["football", "nfl", "collegefootball", "baseball", "mlb", "nba", "gameday", "hockey", "soccer", "fantasyfootball"],
        ["the game last night", "that fourth quarter", "the new quarterback", "the trade deadline",
         "opening day", "the playoff race", "our defense", "the rookie shortstop", "the coaching staff",
         "the draft", "that call from the ref", "the rivalry game"],
        ["What a finish to {thing}!", "Still not over {thing}.", "Hot take: {thing} was overrated.",
         "Can we talk about {thing}?", "{Thing} is why I love this sport.", "Somebody explain {thing} to me."],
    ),
    "food": (
        ["food", "bbq", "cooking", "recipe", "homecooking", "baking", "foodie", "grilling"],
        ["my grandma's chili recipe", "smoked brisket", "sourdough starter", "the new taco place",
         "homemade biscuits", "a twelve hour pork shoulder", "apple pie", "fried green tomatoes",
         "a cast iron skillet", "pancakes on a Saturday", "peach cobbler", "garden salsa"],
        ["Made {thing} today and it turned out perfect.", "Nothing beats {thing}.",
         "Trying {thing} for the first time this weekend.", "Who has tips for {thing}?",
         "Unpopular opinion: {thing} is better the next day.", "Kitchen smells amazing, {thing} is almost done."],
    ),
    "tech": (
        ["tech", "programming", "python", "ai", "opensource", "privacy", "linux", "gadgets", "selfhosted"],
        ["the new phone update", "my home server", "a Raspberry Pi project", "password managers",
         "open source software", "the latest AI tools", "end-to-end encryption", "a mechanical keyboard",
         "self-hosting my photos", "a bug I chased all week", "switching to Linux", "my old laptop"],
        ["Finally got {thing} working.", "Spent the evening on {thing}. Worth it.",
         "If you care about privacy, look into {thing}.", "Anyone else annoyed by {thing}?",
         "Quick thread on {thing}.", "Learned something new about {thing} today."],
    ),
    "outdoors": (
        ["outdoors", "hiking", "fishing", "hunting", "camping", "nature", "sunrise", "wildlife"],
        ["the trail up the ridge", "a morning on the lake", "deer season", "the first frost",
         "a campfire under the stars", "the river at sunrise", "a hawk over the field", "the fall colors",
         "a storm rolling in", "the state park", "a sixteen inch bass", "the elk herd"],
        ["Nothing like {thing}.", "Out early for {thing}. Worth the cold.", "Caught {thing} on camera today.",
         "Reminder that {thing} is free and good for you.", "Took the kids to see {thing}.",
         "Best part of the week: {thing}."],
    ),
    "faith": (
        ["faith", "blessed", "sundaymorning", "prayer", "grateful", "church", "family"],
        ["Sunday service", "the choir this morning", "our small group", "the food drive",
         "the youth camp", "a verse I needed today", "the church picnic", "volunteering at the shelter"],
        ["Grateful for {thing}.", "{Thing} was exactly what I needed.", "Please keep {thing} in your prayers.",
         "So proud of everyone who helped with {thing}.", "Quiet morning, thinking about {thing}."],
    ),
    "music": (
        ["music", "countrymusic", "nowplaying", "vinyl", "concert", "guitar", "jazz", "classicrock"],
        ["the concert last night", "that new album", "an old Johnny Cash record", "learning a new song",
         "the local band at the brewery", "my dad's record collection", "the festival lineup", "a bluegrass jam"],
        ["Can't stop listening to {thing}.", "{Thing} still gives me chills.", "Who else grew up on {thing}?",
         "Spent the afternoon with {thing}.", "Recommend me something like {thing}."],
    ),
    "work": (
        ["smallbusiness", "work", "entrepreneur", "hiring", "mondaymotivation", "jobs", "economy"],
        ["opening the shop", "payroll week", "a new client", "the supply delays", "hiring season",
         "our first year in business", "the night shift", "a twelve hour day", "the new storefront"],
        ["Another day, another {thing}.", "Shoutout to my crew for {thing}.",
         "If you run a business you know about {thing}.", "Survived {thing}. Barely.",
         "Lesson learned from {thing}: plan ahead."],
    ),
    "family": (
        ["family", "parenting", "dogsofrostra", "catsofrostra", "weekend", "homesteading", "garden", "grateful"],
        ["the kids' science fair", "our new puppy", "the tomato plants", "date night", "the chicken coop",
         "grandpa's birthday", "the first day of school", "a rainy Saturday", "the backyard fort", "the old barn cat"],
        ["{Thing} made my whole week.", "Update on {thing}: going great.", "Little wins: {thing}.",
         "Can't believe how fast {thing} came around.", "Photos of {thing} coming soon."],
    ),
    "movies": (
        ["movies", "tv", "streaming", "books", "reading", "scifi", "documentary", "westerns"],
        ["the new season finale", "an old western", "the documentary everyone is talking about",
         "a book I couldn't put down", "the movie theater downtown", "that miniseries", "a sci-fi classic"],
        ["Just finished {thing}. Wow.", "Is {thing} worth it?", "{Thing} did not disappoint.",
         "Weekend plans: {thing} and a big bowl of popcorn.", "Still thinking about {thing}."],
    ),
}
TOPIC_NAMES = list(TOPICS)
GLOBAL_TAGS = ["rostra", "freespeech", "newhere", "introductions", "goodmorning", "friday", "monday", "photography", "history", "question"]

SECOND_SENTENCES = [
    "Not sure how I feel about it yet.", "Would love to hear what you all think.", "Highly recommend.",
    "Took way longer than I expected.", "Worth every minute.", "More on this later.", "Details below.",
    "Some things never change.", "Glad I finally did it.", "Honestly the best part of my week.",
    "My neighbor said the same thing.", "It's the little things.", "Not what I expected at all.",
    "Let that sink in.", "Thoughts?", "Change my mind.", "Anyway, back to work.", "Stay safe out there.",
    "Happy to be proven wrong.", "The kids loved it too.", "We will see how it goes.",
    "Couldn't have asked for better weather.", "Pretty sure I'm not the only one.", "Life is good.",
    "Going to try again next week.", "Who's with me?", "Keep it civil in the comments, friends.",
]
REPLIES = [
    "Totally agree.", "This is so true.", "Source?", "Great point.", "Couldn't have said it better.",
    "Hard disagree, respectfully.", "Ha! Same here.", "Thanks for sharing this.", "Wait, really?",
    "Love this.", "Been saying this for years.", "Where was this?", "Congrats!", "Praying for you.",
    "That's wild.", "Can confirm.", "Not sure about that one.", "Good to know, thanks.",
    "Following for updates.", "This made my day.", "Any tips for a beginner?", "Same thing happened to me.",
    "Looks amazing.", "I'd love to see the numbers on that.", "Well said.", "Hmm, interesting take.",
    "You always find the best stuff.", "100% this.", "Ok but why though?", "Welcome aboard!",
]
QUOTES = [
    "This is worth reading.", "Read this.", "Exactly what I was saying yesterday.", "Good thread.",
    "Hmm. Not so sure.", "Everyone should see this.", "Well, this happened.", "Adding my two cents:",
    "Big if true.", "This right here.", "Saving this one.", "Can't argue with that.",
]
MENTION_LEADS = ["Shoutout to {m} for this.", "{m} you need to see this.", "What do you think, {m}?", "h/t {m}", "Via {m}."]
LINKS = [
    ("https://www.youtube.com/watch?v={code}", None),
    ("https://en.wikipedia.org/wiki/{Slug}", None),
    ("https://github.com/{user}/{slug}", None),
    ("https://www.reuters.com/world/{slug}-{num}/", None),
    ("https://apnews.com/article/{slug}-{code}", None),
    ("https://www.espn.com/nfl/story/_/id/{num}/{slug}", None),
    ("https://www.allrecipes.com/recipe/{num}/{slug}/", None),
    ("https://www.nps.gov/{park}/index.htm", None),
]
SLUG_WORDS = [
    "local", "school", "board", "vote", "recipe", "smoked", "brisket", "river", "trail", "storm",
    "season", "finale", "budget", "plan", "city", "county", "bridge", "update", "report", "history",
    "guide", "best", "new", "open", "source", "privacy", "review", "game", "win", "record", "park",
]
PARKS = ["yell", "grca", "yose", "grsm", "zion", "romo", "acad", "olym", "glac", "shen"]
SPOILERS = ["spoilers", "season finale spoilers", "long rant", "politics", "food pics"]


class _Writer:
    """Bulk writes for the database in use: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, connection):
        self.connection = connection
        self.vendor = connection.vendor
        connection.ensure_connection()
        self.dropped = []
        self._rest_cache = {}

    # Values -------------------------------------------------------------------------
    def dt(self, ms):
        """A timestamp column's value for epoch milliseconds."""
        value = _UTC_EPOCH + timedelta(milliseconds=ms)
        if self.vendor == "sqlite":
            # What Django's SQLite backend stores: naive UTC text.
            return value.replace(tzinfo=None).isoformat(" ")
        return value

    # Session ------------------------------------------------------------------------
    def start(self):
        with self.connection.cursor() as cursor:
            if self.vendor == "sqlite":
                # The seeder writes consistent rows itself; checking every foreign key and
                # syncing every commit would triple the time.
                cursor.execute("PRAGMA foreign_keys=OFF")
                cursor.execute("PRAGMA synchronous=OFF")
                cursor.execute("PRAGMA cache_size=-1000000")
            elif self.vendor == "postgresql":
                cursor.execute("SET synchronous_commit TO off")
                cursor.execute("SET maintenance_work_mem TO '1GB'")
                self._try(cursor, "SET session_replication_role TO replica")  # no FK triggers (superuser only)

    def stop(self):
        with self.connection.cursor() as cursor:
            if self.vendor == "sqlite":
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.execute("PRAGMA cache_size=-64000")
            elif self.vendor == "postgresql":
                cursor.execute("RESET synchronous_commit")
                cursor.execute("RESET maintenance_work_mem")
                self._try(cursor, "RESET session_replication_role")

    def _try(self, cursor, sql):
        from django.db import DatabaseError, transaction

        try:
            with transaction.atomic():
                cursor.execute(sql)
        except DatabaseError:
            return False
        return True

    # Rows -----------------------------------------------------------------------------
    def _rest(self, table, columns):
        """Columns of ``table``'s model that the seeder does not set, and their default values.

        Fields added to a model later (a moderation flag, a counter) then get the value the ORM
        would give them instead of breaking the seeder with a NOT NULL error.
        """
        key = (table, tuple(columns))
        if key not in self._rest_cache:
            from django.apps import apps
            from django.utils import timezone

            model = next(m for m in apps.get_models() if m._meta.db_table == table)
            extra_columns, extra_values = [], []
            for field in model._meta.concrete_fields:
                if field.column in columns or (field.primary_key and field.auto_created):
                    continue
                if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                    value = timezone.now()
                elif field.has_default():
                    value = field.get_default()
                elif field.null:
                    value = None
                else:
                    raise RuntimeError(f"The demo seeder does not know what to put in {table}.{field.column}.")
                extra_columns.append(field.column)
                extra_values.append(field.get_db_prep_save(value, self.connection))
            self._rest_cache[key] = (list(columns) + extra_columns, tuple(extra_values))
        return self._rest_cache[key]

    def insert(self, table, columns, rows):
        """Insert ``rows`` (tuples in ``columns`` order) into ``table``; call inside a transaction."""
        columns, extra = self._rest(table, columns)
        if extra:
            rows = [tuple(row) + extra for row in rows]
        if self.vendor == "sqlite":
            sql = f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({", ".join("?" * len(columns))})'
            self.connection.connection.executemany(sql, rows)
        elif self.vendor == "postgresql":
            with self.connection.cursor() as cursor:
                with cursor.cursor.copy(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
        else:
            sql = f'INSERT INTO {table} ({", ".join(columns)}) VALUES ({", ".join(["%s"] * len(columns))})'
            with self.connection.cursor() as cursor:
                cursor.executemany(sql, list(rows))

    def write(self, table, columns, rows, bar=None, batch=BATCH * 5):
        """Insert an iterable of rows in batches, one transaction each."""
        from django.db import transaction

        chunk = []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= batch:
                with transaction.atomic():
                    self.insert(table, columns, chunk)
                if bar is not None:
                    bar.update(len(chunk))
                chunk = []
        if chunk:
            with transaction.atomic():
                self.insert(table, columns, chunk)
            if bar is not None:
                bar.update(len(chunk))

    # Indexes -------------------------------------------------------------------------
    def drop_indexes(self, tables):
        """Drop the plain (non-unique) indexes of ``tables``; ``rebuild_indexes`` puts them back."""
        with self.connection.cursor() as cursor:
            if self.vendor == "sqlite":
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
                    f" AND tbl_name IN ({', '.join(['%s'] * len(tables))})",
                    list(tables),
                )
            elif self.vendor == "postgresql":
                cursor.execute(
                    "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema()"
                    " AND i.tablename = ANY(%s)"
                    " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
                    [list(tables)],
                )
            else:
                return
            found = [(name, sql) for name, sql in cursor.fetchall() if not sql.upper().startswith("CREATE UNIQUE")]
            for name, sql in found:
                cursor.execute(f'DROP INDEX "{name}"')
                self.dropped.append((name, sql))

    def rebuild_indexes(self, bar=None):
        with self.connection.cursor() as cursor:
            while self.dropped:
                name, sql = self.dropped[0]
                cursor.execute(sql)
                self.dropped.pop(0)
                if bar is not None:
                    bar.update(1)

    def analyze(self, tables):
        """After a bulk load: PostgreSQL gets statistics and a visibility map, SQLite a checkpoint.

        SQLite is left without ``ANALYZE`` statistics, as an instance grown by use would be:
        its statistics are averages per index, and with most posts having no ``in_reply_to``
        they make the reply index look selective for ``in_reply_to IS NULL``, so a profile
        page scans every top-level post instead of the author's (docs/performance.md).
        """
        with self.connection.cursor() as cursor:
            if self.vendor == "sqlite":
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            elif self.vendor == "postgresql":
                for table in tables:
                    cursor.execute(f'VACUUM (ANALYZE) "{table}"')


def _cum(weights):
    total = 0.0
    out = []
    for w in weights:
        total += w
        out.append(total)
    return out


class _Picker:
    """Weighted draws by bisect over cumulative weights (random.choices is slower per draw)."""

    def __init__(self, rng, weights):
        self.rng = rng
        self.cum = _cum(weights)
        self.total = self.cum[-1]
        self.hi = len(self.cum) - 1

    def __call__(self):
        return bisect.bisect(self.cum, self.rng.random() * self.total, 0, self.hi)


def _zipf_weights(n, s=1.1, offset=1):
    return [1.0 / (r + offset) ** s for r in range(n)]


class _Texts:
    """Plausible post texts, and their HTML built piece by piece.

    A text is assembled from pieces: ("t", words), ("tag", name), ("men", account index)
    and ("url", address). Each piece becomes the same HTML ``render_text`` makes for it, so
    the whole is what ``render_text`` would return, at a fraction of the cost; a sample of
    posts is checked against ``render_text`` itself (``_Texts.verify``).
    """

    def __init__(self, rng, usernames, mention_pick):
        self.rng = rng
        self.usernames = usernames
        self.mention_pick = mention_pick
        self.topic_tags = {}
        for name, (tags, _, _) in TOPICS.items():
            self.topic_tags[name] = (tags, _Picker(rng, _zipf_weights(len(tags), 1.2)))
        all_tags = []
        for i in range(max(len(t[0]) for t in TOPICS.values())):
            for tags, _, _ in TOPICS.values():
                if i < len(tags) and tags[i] not in all_tags:
                    all_tags.append(tags[i])
        for tag in GLOBAL_TAGS:
            if tag not in all_tags:
                all_tags.insert(3, tag)
        # The long tail: places and pastimes, rarely used each.
        for word in PLACES + INTERESTS:
            tag = "".join(ch for ch in word.lower() if ch.isalnum())
            if tag not in all_tags:
                all_tags.append(tag)
        self.all_tags = all_tags
        self.all_tag_pick = _Picker(rng, _zipf_weights(len(all_tags), 1.1))

    # Pieces ---------------------------------------------------------------------------
    def _tag(self, topic):
        rng = self.rng
        if rng.random() < 0.65:
            tags, pick = self.topic_tags[topic]
            name = tags[pick()]
        else:
            name = self.all_tags[self.all_tag_pick()]
        r = rng.random()
        if r < 0.12:
            name = name.capitalize()
        elif r < 0.15:
            name = name.upper()
        return name

    def _link(self):
        rng = self.rng
        template = rng.choice(LINKS)[0]
        words = rng.sample(SLUG_WORDS, rng.randint(2, 5))
        return template.format(
            code="".join(rng.choice("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789_") for _ in range(11)),
            slug="-".join(words),
            Slug="_".join(w.capitalize() for w in words[:2]),
            num=rng.randint(1000, 9_999_999),
            user=rng.choice(self.usernames).lower(),
            park=rng.choice(PARKS),
        )

    def _sentence(self, topic):
        rng = self.rng
        _, things, templates = TOPICS[topic]
        thing = rng.choice(things)
        return rng.choice(templates).format(thing=thing, Thing=thing[0].upper() + thing[1:])

    # Posts ----------------------------------------------------------------------------
    def original(self, topic, author, allow_mentions=True):
        rng = self.rng
        pieces = []
        words = self._sentence(topic)
        if rng.random() < 0.55:
            words += " " + rng.choice(SECOND_SENTENCES)
        if rng.random() < 0.15:
            words += " " + self._sentence(rng.choice(TOPIC_NAMES) if rng.random() < 0.3 else topic)
        if rng.random() < 0.12:
            words += " " + rng.choice(EMOJI)
        if rng.random() < 0.06:
            words += "\n\n" + rng.choice(SECOND_SENTENCES)
        pieces.append(("t", words))
        if allow_mentions and rng.random() < 0.09:
            lead = rng.choice(MENTION_LEADS)
            before, _, after = lead.partition("{m}")
            pieces.append(("t", " " + before))
            pieces.append(("men", self._mentionable(author)))
            pieces.append(("t", after))
        if rng.random() < 0.08:
            pieces.append(("t", " "))
            pieces.append(("url", self._link()))
        self._tags(pieces, topic, 0.38)
        return pieces

    def reply(self, topic, author, parent_author):
        rng = self.rng
        pieces = []
        if rng.random() < 0.25 and parent_author != author:
            pieces.append(("men", parent_author))
            pieces.append(("t", " "))
        words = rng.choice(REPLIES)
        if rng.random() < 0.4:
            words += " " + (rng.choice(SECOND_SENTENCES) if rng.random() < 0.6 else self._sentence(topic))
        if rng.random() < 0.1:
            words += " " + rng.choice(EMOJI)
        pieces.append(("t", words))
        if rng.random() < 0.03:
            pieces.append(("t", " "))
            pieces.append(("url", self._link()))
        self._tags(pieces, topic, 0.08)
        return pieces

    def quote(self, topic, author):
        rng = self.rng
        words = rng.choice(QUOTES)
        if rng.random() < 0.35:
            words += " " + rng.choice(SECOND_SENTENCES)
        pieces = [("t", words)]
        self._tags(pieces, topic, 0.2)
        return pieces

    def _mentionable(self, author):
        for _ in range(3):
            other = self.mention_pick()
            if other != author:
                return other
        return other

    def _tags(self, pieces, topic, share):
        rng = self.rng
        if rng.random() >= share:
            return
        count = 1 if rng.random() < 0.6 else (2 if rng.random() < 0.7 else 3)
        seen = set()
        for _ in range(count):
            name = self._tag(topic)
            if name.lower() in seen:
                continue
            seen.add(name.lower())
            pieces.append(("t", " "))
            pieces.append(("tag", name))

    # Output ---------------------------------------------------------------------------
    def build(self, pieces):
        """(text, html, hashtag names, mentioned account indices) for a list of pieces."""
        usernames = self.usernames
        text = []
        html = []
        tags = []
        mentioned = []
        for kind, value in pieces:
            if kind == "t":
                text.append(value)
                html.append(value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
            elif kind == "tag":
                text.append("#" + value)
                lower = value.lower()
                html.append(f'<a href="/tags/{lower}" class="hashtag" rel="nofollow noopener noreferrer">#{value}</a>')
                if lower not in tags:
                    tags.append(lower)
            elif kind == "men":
                name = usernames[value]
                text.append("@" + name)
                html.append(f'<a href="/@{name}" class="mention" rel="nofollow noopener noreferrer">@{name}</a>')
                if value not in mentioned:
                    mentioned.append(value)
            else:
                shown = value.split("://", 1)[1]
                if shown.startswith("www."):
                    shown = shown[4:]
                if len(shown) > 40:
                    shown = shown[:39] + "…"
                text.append(value)
                html.append(
                    f'<a href="{value}" target="_blank" translate="no" rel="nofollow noopener noreferrer">{shown}</a>'
                )
        body = "".join(html).strip()
        paragraphs = [p.replace("\n", "<br>") for p in body.split("\n\n") if p.strip()]
        return "".join(text).strip(), "".join(f"<p>{p}</p>" for p in paragraphs), tags, mentioned

    def verify(self, text, html, mentioned):
        """True when ``html`` is exactly what ``render_text`` makes of ``text``."""
        from rostra.core.html import render_text

        urls = {(self.usernames[m].lower(), None): "/@" + self.usernames[m] for m in mentioned}
        return render_text(text, urls) == html


def _existing_usernames():
    from rostra.accounts.actions import RESERVED_USERNAMES
    from rostra.accounts.models import Account, User

    taken = {u.lower() for u in User.objects.values_list("username", flat=True)}
    taken |= {u.lower() for u in Account.objects.filter(domain__isnull=True).values_list("username", flat=True)}
    return taken | set(RESERVED_USERNAMES)


def _make_username(rng, first, last, taken):
    style = rng.random()
    if style < 0.25:
        base = f"{first}{last}".lower()
    elif style < 0.45:
        base = f"{first}_{last}".lower()
    elif style < 0.6:
        base = f"{first}{last}"
    elif style < 0.75:
        base = f"{first}{last[0]}".lower()
    elif style < 0.85:
        base = f"{last}{first[0]}".lower()
    elif style < 0.93:
        base = f"the_{first}".lower() if rng.random() < 0.5 else f"real{first}{last}".lower()
    else:
        base = f"{first[0]}{last}".lower()
    base = base[:24]
    name = base
    if rng.random() < 0.45 or name.lower() in taken:
        name = f"{base}{rng.choice([rng.randint(1, 99), rng.randint(1950, 2005), rng.randint(100, 9999)])}"
    while name.lower() in taken:
        name = f"{base}{rng.randint(1, 99_999)}"
    taken.add(name.lower())
    return name


def _bio(rng):
    parts = [rng.choice(ROLES)]
    if rng.random() < 0.6:
        parts[0] += f" from {rng.choice(PLACES)}."
    else:
        parts[0] += "."
    a, b = rng.sample(INTERESTS, 2)
    parts.append(f"{a[0].upper()}{a[1:]} and {b}.")
    if rng.random() < 0.6:
        parts.append(rng.choice(TAGLINES))
    if rng.random() < 0.2:
        parts.append(rng.choice(EMOJI))
    return " ".join(parts) if rng.random() < 0.93 else ""


def _say(out, message):
    print(message, file=out, flush=True)


def seed(users=200, posts=2000, seed=1, *, progress=True, out=None):
    """Add ``users`` demo people and ``posts`` posts (comments and echoes included).

    Returns a dict of what was written and how long it took.
    """
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction

    from rostra.core.html import render_text
    from rostra.core.ids import IdGenerator
    from rostra.core.models import InstanceSettings
    from rostra.posts import search
    from rostra.posts.models import Hashtag

    out = out or sys.stdout
    started = time.monotonic()
    users = max(2, int(users))
    posts = max(0, int(posts))
    rng = random.Random(seed)
    ids = IdGenerator()
    writer = _Writer(connection)
    counts = {}
    timings = {}
    bar_args = {"disable": not progress, "dynamic_ncols": True, "mininterval": 0.5, "file": sys.stderr}

    def phase(name):
        timings[name] = time.monotonic()

    def done(name):
        timings[name] = round(time.monotonic() - timings[name], 2)

    now_ms = int(time.time() * 1000)
    window_start = now_ms - WINDOW_DAYS * DAY_MS
    _say(out, f"Seeding {users:,} people and {posts:,} posts (seed {seed}) on {connection.vendor}...")

    # --- People ------------------------------------------------------------------------
    phase("people")
    n = users
    taken = _existing_usernames()
    password = make_password(DEMO_PASSWORD)
    usernames, firsts, lasts = [], [], []
    for i in range(n):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        if i == 0 and BENCH_USERNAME not in taken:
            name = BENCH_USERNAME
            taken.add(name)
            first, last = "Demo", "Person"
        else:
            name = _make_username(rng, first, last, taken)
        usernames.append(name)
        firsts.append(first)
        lasts.append(last)
    # Popularity: a Zipf-like rank. The bench person ``demo`` is among the most followed.
    ranks = list(range(n))
    rng.shuffle(ranks)
    top = min(2, n - 1)
    j = ranks.index(top)
    ranks[0], ranks[j] = ranks[j], ranks[0]
    popularity = [1.0 / (r + 5) for r in ranks]
    max_pop = max(popularity)
    follow_pick = _Picker(rng, popularity)
    activity = [rng.lognormvariate(0, 1.0) * (1 + 12 * popularity[i] / max_pop) for i in range(n)]
    favourite_topics = [rng.sample(TOPIC_NAMES, 3) for _ in range(n)]
    joined_ms = [window_start - rng.randint(1, 400) * DAY_MS + rng.randint(0, DAY_MS) for _ in range(n)]
    user_ids = [ids.at(ms) for ms in joined_ms]
    account_ids = [ids.at(ms) for ms in joined_ms]
    verified_cut = max(1, n // 200)
    with tqdm(total=n, desc="people", unit="people", **bar_args) as bar:
        user_rows, account_rows = [], []
        for i in range(n):
            first, last = firsts[i], lasts[i]
            r = rng.random()
            if i == 0 and usernames[0] == BENCH_USERNAME:
                display = "Demo Person"
            elif r < 0.7:
                display = f"{first} {last}"
            elif r < 0.8:
                display = f"{first} {last[0]}."
            elif r < 0.9:
                display = f"{first} {rng.choice(EMOJI)}"
            else:
                display = first if rng.random() < 0.5 else ""
            bio = _bio(rng)
            joined = writer.dt(joined_ms[i])
            user_rows.append(
                (user_ids[i], password, usernames[i], first, last, "", False, False, True, joined, "user")
            )
            account_rows.append(
                [
                    account_ids[i], user_ids[i], usernames[i], None, "", display[:60], bio,
                    render_text(bio) if bio else "", "[]", "", "", False,
                    ranks[i] < verified_cut, ranks[i] < max(1, n // 500), rng.random() < 0.002,
                    joined, 0, 0, 0, None, 0,
                ]
            )
            bar.update(1)
    done("people")

    # --- Follows -----------------------------------------------------------------------
    phase("follows")
    following = []
    max_follow = max(1, min(n - 1, 600))
    community = max(10, n // 25)
    with tqdm(total=n, desc="follows (plan)", unit="people", **bar_args) as bar:
        for i in range(n):
            k = int(rng.lognormvariate(math.log(60), 0.75))
            k = max(min(5, n - 1), min(k, max_follow, int((n - 1) * 0.4) or 1))
            if i == 0:
                k = min(n - 1, max(k, 150))
            chosen = set()
            if i == 0:
                by_rank = sorted(range(n), key=ranks.__getitem__)
                chosen.update(a for a in by_rank[:31] if a != 0)
            attempts = 0
            while len(chosen) < k and attempts < k * 20:
                attempts += 1
                if rng.random() < 0.75:
                    other = follow_pick()
                else:
                    other = (i + rng.randint(-community, community)) % n
                if other != i:
                    chosen.add(other)
            following.append(sorted(chosen)[:k] if len(chosen) > k else sorted(chosen))
            bar.update(1)
    followers_count = [0] * n
    for i in range(n):
        for t in following[i]:
            followers_count[t] += 1
    for i in range(n):
        account_rows[i][16] = followers_count[i]
        account_rows[i][17] = len(following[i])
    done("follows")

    # --- Posts: the plan (who, when, what kind, answering what) -------------------------
    phase("posts_plan")
    span = now_ms - 60_000 - window_start
    times = []
    # Its own generator: how many draws the times take depends on the clock, and everything
    # else must come out the same for the same seed whenever it runs.
    time_rng = random.Random(f"{seed}-times")
    while len(times) < posts:
        # More people post in the evening (UTC-5) and a little more each week.
        t = time_rng.random() * span
        hour = ((window_start + t) / 3_600_000 - 5) % 24
        daily = 0.55 + 0.45 * math.sin((hour - 9) / 24 * 2 * math.pi)
        growth = 0.7 + 0.3 * t / span
        if time_rng.random() < daily * growth:
            times.append(window_start + int(t))
    times.sort()
    for k in range(1, len(times)):
        if times[k] <= times[k - 1]:
            times[k] = times[k - 1] + 1
    author_pick = _Picker(rng, activity)
    p_author = [author_pick() for _ in range(posts)]
    p_kind = [ORIGINAL] * posts
    p_parent = [-1] * posts
    p_root = [-1] * posts
    p_echo = [-1] * posts
    p_public = [True] * posts
    p_topic = [0] * posts
    replies_count = [0] * posts
    echoes_count = [0] * posts
    author_top = [[] for _ in range(n)]  # top-level public posts per author, oldest first
    author_posts = [[] for _ in range(n)]  # every post per author, oldest first
    thread_replies = {}
    recent_top = []
    plain_echoes = set()

    def pick_top_level():
        if rng.random() < 0.65:
            for _ in range(3):
                mine = author_top[follow_pick()]
                if mine:
                    back = min(len(mine), 1 + int(rng.expovariate(0.7)))
                    return mine[-back]
        back = min(len(recent_top), 1 + int(rng.expovariate(1 / 300)))
        return recent_top[-back]

    with tqdm(total=posts, desc="posts (plan)", unit="posts", **bar_args) as bar:
        for i in range(posts):
            author = p_author[i]
            r = rng.random()
            kind = ORIGINAL
            if recent_top:
                if r < SHARE_REPLY:
                    kind = REPLY
                elif r < SHARE_REPLY + SHARE_PLAIN_ECHO:
                    kind = PLAIN_ECHO
                elif r < SHARE_REPLY + SHARE_PLAIN_ECHO + SHARE_QUOTE_ECHO:
                    kind = QUOTE
            topics = favourite_topics[author]
            p_topic[i] = topics[0] if rng.random() < 0.6 else rng.choice(topics)
            if kind == REPLY:
                root = pick_top_level()
                parent = root
                if rng.random() < SHARE_REPLY_TO_REPLY:
                    others = thread_replies.get(root)
                    if others:
                        parent = others[rng.randrange(len(others))] if rng.random() < 0.5 else others[-1]
                if p_author[parent] == author and rng.random() < 0.5:
                    author = p_author[i] = author_pick()
                p_parent[i] = parent
                p_root[i] = p_root[parent] if p_root[parent] >= 0 else parent
                thread_replies.setdefault(p_root[i], []).append(i)
                replies_count[parent] += 1
                p_topic[i] = p_topic[parent]
            elif kind in (PLAIN_ECHO, QUOTE):
                target = pick_top_level()
                if p_author[target] == author:
                    author = p_author[i] = author_pick()
                if p_author[target] == author or (kind == PLAIN_ECHO and (author, target) in plain_echoes):
                    kind = ORIGINAL
                else:
                    if kind == PLAIN_ECHO:
                        plain_echoes.add((author, target))
                    p_echo[i] = target
                    echoes_count[target] += 1
                    p_topic[i] = p_topic[target]
            p_kind[i] = kind
            if kind == ORIGINAL and rng.random() < SHARE_FOLLOWERS_ONLY:
                p_public[i] = False
            if kind in (ORIGINAL, QUOTE) and p_public[i]:
                author_top[author].append(i)
                recent_top.append(i)
            author_posts[author].append(i)
            bar.update(1)
    p_id = [ids.at(ms) for ms in times]
    # Votes: many for the popular, a few for most; plain echoes pass theirs to the original.
    vote_weight = [0.0] * posts
    for i in range(posts):
        kind = p_kind[i]
        if kind == PLAIN_ECHO:
            continue
        base = rng.lognormvariate(0.0, 1.1) * (1 + 30 * popularity[p_author[i]] / max_pop)
        vote_weight[i] = base * (0.25 if kind == REPLY else 1.0) * (1 + replies_count[i] * 0.2)
    total_weight = sum(vote_weight) or 1.0
    scale = VOTES_PER_POST * posts / total_weight
    vote_cap = max(0, n - 1)
    votes_count = [min(vote_cap, int(w * scale + rng.random())) for w in vote_weight]
    done("posts_plan")

    # --- Writing -----------------------------------------------------------------------
    rebuild = posts >= REBUILD_INDEXES_FROM
    writer.start()
    try:
        if rebuild:
            writer.drop_indexes(BULK_TABLES)
        phase("write_people")
        for i in range(n):
            if author_posts[i]:
                account_rows[i][18] = len(author_posts[i])
                account_rows[i][19] = writer.dt(times[author_posts[i][-1]])
        with tqdm(total=2 * n, desc="people (write)", unit="rows", **bar_args) as bar:
            writer.write(
                "accounts_user",
                ["id", "password", "username", "first_name", "last_name", "email", "is_superuser", "is_staff",
                 "is_active", "date_joined", "role"],
                user_rows, bar,
            )
            writer.write(
                "accounts_account",
                ["id", "user_id", "username", "domain", "uri", "display_name", "bio", "bio_html", "links", "avatar",
                 "header", "locked", "verified", "public_figure", "parody", "created_at", "followers_count",
                 "following_count", "posts_count", "last_post_at", "notifications_seen_id"],
                (tuple(row) for row in account_rows), bar,
            )
        counts["people"] = n
        del user_rows, account_rows
        done("write_people")

        phase("write_follows")
        total_follows = sum(len(f) for f in following)

        def follow_rows():
            for i in range(n):
                for t in following[i]:
                    since = max(joined_ms[i], joined_ms[t])
                    at = since + int(rng.random() * max(1, window_start - since))
                    yield (writer.dt(at), account_ids[i], account_ids[t])

        with tqdm(total=total_follows, desc="follows (write)", unit="rows", **bar_args) as bar:
            writer.write("accounts_follow", ["created_at", "follower_id", "target_id"], follow_rows(), bar)
        counts["follows"] = total_follows
        done("write_follows")

        # --- Posts, hashtags, mentions --------------------------------------------------
        phase("write_posts")
        mention_pick = _Picker(rng, [p + 0.0005 for p in popularity])
        texts = _Texts(rng, usernames, mention_pick)
        tag_ids = dict(Hashtag.objects.values_list("name", "id"))
        verify_every = 97
        checked = mismatched = 0
        n_tags = n_mentions = 0
        post_cols = [
            "id", "text", "html", "spoiler_text", "sensitive", "visibility", "state", "language",
            "thread_root_id", "uri", "created_at", "edited_at", "replies_count", "echoes_count",
            "votes_count", "has_media", "author_id", "echo_of_id", "in_reply_to_id", "in_reply_to_account_id",
        ]
        with tqdm(total=posts, desc="posts (write)", unit="posts", **bar_args) as bar:
            for start in range(0, posts, BATCH):
                post_rows, tag_rows, mention_rows = [], [], []
                for i in range(start, min(posts, start + BATCH)):
                    kind = p_kind[i]
                    author = p_author[i]
                    topic = p_topic[i]
                    if kind == PLAIN_ECHO:
                        text = html = ""
                        tags, mentioned = (), ()
                    else:
                        if kind == ORIGINAL:
                            pieces = texts.original(topic, author, allow_mentions=p_public[i])
                        elif kind == REPLY:
                            pieces = texts.reply(topic, author, p_author[p_parent[i]])
                        else:
                            pieces = texts.quote(topic, author)
                        text, html, tags, mentioned = texts.build(pieces)
                        if mismatched or i % verify_every == 0:
                            checked += 1
                            if not texts.verify(text, html, mentioned):
                                mismatched += 1
                                html = render_text(
                                    text, {(usernames[m].lower(), None): "/@" + usernames[m] for m in mentioned}
                                )
                    spoiler = ""
                    if kind == ORIGINAL and rng.random() < 0.01:
                        spoiler = rng.choice(SPOILERS)
                    parent = p_parent[i]
                    echo = p_echo[i]
                    pid = p_id[i]
                    post_rows.append(
                        (
                            pid, text, html, spoiler, bool(spoiler), "public" if p_public[i] else "followers",
                            "published", "en", p_id[p_root[i]] if p_root[i] >= 0 else None, "",
                            writer.dt(times[i]), None, replies_count[i], echoes_count[i], votes_count[i], False,
                            account_ids[author], p_id[echo] if echo >= 0 else None,
                            p_id[parent] if parent >= 0 else None,
                            account_ids[p_author[parent]] if parent >= 0 else None,
                        )
                    )
                    for name in tags:
                        tag_id = tag_ids.get(name)
                        if tag_id is None:
                            tag_id = tag_ids[name] = Hashtag.objects.get_or_create(name=name)[0].pk
                        tag_rows.append((tag_id, pid, account_ids[author], p_public[i]))
                    for m in mentioned:
                        mention_rows.append((account_ids[m], pid))
                with transaction.atomic():
                    writer.insert("posts_post", post_cols, post_rows)
                    writer.insert("posts_posthashtag", ["hashtag_id", "post_id", "author_id", "public"], tag_rows)
                    writer.insert("posts_mention", ["account_id", "post_id"], mention_rows)
                n_tags += len(tag_rows)
                n_mentions += len(mention_rows)
                bar.update(len(post_rows))
        counts.update(posts=posts, hashtag_uses=n_tags, mentions=n_mentions, hashtags=len(tag_ids))
        counts["replies"] = sum(1 for k in p_kind if k == REPLY)
        counts["echoes"] = sum(1 for k in p_kind if k in (PLAIN_ECHO, QUOTE))
        if mismatched:
            _say(out, f"  note: {mismatched} of {checked} sampled posts differed from render_text; rendered all with it")
        done("write_posts")

        # --- Votes and bookmarks ----------------------------------------------------------
        phase("write_votes")
        total_votes = sum(votes_count)

        def vote_rows():
            population = range(n)
            for i in range(posts):
                k = votes_count[i]
                if not k:
                    continue
                base = times[i]
                pid = p_id[i]
                for voter in rng.sample(population, k):
                    at = min(now_ms, base + int(rng.expovariate(1 / 7_200_000)))
                    yield (writer.dt(at), account_ids[voter], pid)

        with tqdm(total=total_votes, desc="votes (write)", unit="rows", **bar_args) as bar:
            writer.write("posts_vote", ["created_at", "account_id", "post_id"], vote_rows(), bar)
        counts["votes"] = total_votes

        bookmark_rows = []
        if recent_top:
            for i in range(n):
                k = 20 if i == 0 else (rng.randint(1, 5) if rng.random() < 0.3 else 0)
                marked = set()
                for _ in range(k):
                    marked.add(pick_top_level())
                for p in marked:
                    at = min(now_ms, times[p] + rng.randint(0, 2 * DAY_MS))
                    bookmark_rows.append((ids.at(at), account_ids[i], p_id[p]))
        with transaction.atomic():
            writer.insert("posts_bookmark", ["id", "account_id", "post_id"], bookmark_rows)
        counts["bookmarks"] = len(bookmark_rows)
        done("write_votes")

        # --- Home feeds: newest posts of the people followed, and one's own ---------------
        phase("write_feeds")
        size = InstanceSettings.current().home_feed_size
        order = sorted(range(n), key=account_ids.__getitem__)
        n_feed = 0

        def feed_rows():
            nonlocal n_feed
            for i in order:
                sources = following[i] + [i]
                known = set(sources)
                lists = [reversed(author_posts[a]) for a in sources if author_posts[a]]
                chosen = []
                for p in heapq.merge(*lists, reverse=True):
                    # A plain echo of a post already in the feed is not added again, not even to the
                    # echoer's own feed (timelines.tasks.fan_out_post does the same).
                    if p_kind[p] == PLAIN_ECHO and p_author[p_echo[p]] in known:
                        continue
                    chosen.append(p)
                    if len(chosen) >= size:
                        break
                chosen.reverse()
                me = account_ids[i]
                n_feed += len(chosen)
                for p in chosen:
                    yield (me, p_id[p], account_ids[p_author[p]])
                bar.update(1)

        with tqdm(total=n, desc="home feeds", unit="feeds", **bar_args) as bar:
            writer.write("timelines_feedentry", ["account_id", "post_id", "author_id"], feed_rows())
        counts["feed_entries"] = n_feed
        done("write_feeds")
    finally:
        if writer.dropped:
            phase("indexes")
            with tqdm(total=len(writer.dropped), desc="indexes (rebuild)", unit="indexes", **bar_args) as bar:
                writer.rebuild_indexes(bar)
            done("indexes")
        writer.stop()

    phase("search")
    with tqdm(total=1, desc="search index", unit="step", **bar_args) as bar:
        search.reindex_all()
        bar.update(1)
    done("search")
    phase("analyze")
    writer.analyze(BULK_TABLES + ("accounts_account", "accounts_user"))
    done("analyze")

    elapsed = time.monotonic() - started
    counts["seconds"] = round(elapsed, 1)
    counts["timings"] = timings
    _say(out, "")
    _say(out, "Demo data written:")
    for key in ("people", "follows", "posts", "replies", "echoes", "votes", "bookmarks", "hashtags",
                "hashtag_uses", "mentions", "feed_entries"):
        _say(out, f"  {key.replace('_', ' '):<14}{counts.get(key, 0):>12,}")
    _say(out, f"  in {elapsed:,.1f} s ({', '.join(f'{k} {v:.1f}s' for k, v in timings.items())})")
    _say(out, f"Every demo person's password is {DEMO_PASSWORD!r}; try @{usernames[0]}.")
    counts["bench_username"] = usernames[0]
    return counts
