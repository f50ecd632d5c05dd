"""Security headers every response carries."""

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: https:",
        "media-src 'self' https:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "manifest-src 'self'",
        "worker-src 'self'",
    ]
)


class SecurityHeadersMiddleware:
    """A strict content security policy: no inline script, nothing from other origins.

    Django's admin needs inline styles, so it gets a policy that allows them.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            policy = CONTENT_SECURITY_POLICY
            if request.path.startswith("/admin/"):
                policy = policy.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'").replace(
                    "script-src 'self'", "script-src 'self' 'unsafe-inline'"
                )
            response["Content-Security-Policy"] = policy
        response.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
        return response
