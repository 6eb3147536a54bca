"""Project settings, read from the environment.

Every value that differs between a laptop and production comes from an
environment variable. Defaults are safe for local use; what production cannot
default (a secret key) fails loudly at start-up and names the variable.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.templatetags.static import static
from django.utils.csp import CSP
from django.utils.functional import lazy
from django_prose_editor.config import html_tags

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off. For local development set DEBUG=1 (make run does this)."
        )
    SECRET_KEY = "insecure-local-development-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

# The public address of the site, used for absolute links in feeds, share
# buttons and emails, where there is no request to build them from.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", SITE_URL if SITE_URL.startswith("https://") else "")

INSTALLED_APPS = [
    "config.apps.StaffAdminConfig",  # django.contrib.admin with core/admin_site.py as admin.site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_prose_editor",
    "django_tasks_db",
    "reversion",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "core",
    "briefs",
    "newsletter",
]
# Demo content and local conveniences (seed_demo, ensure_local_superuser):
# management commands only, no models. A production site can leave them out.
if env_bool("DEMO_APP", True):
    INSTALLED_APPS.append("demo")

MIDDLEWARE = [
    # Public pages (core/caching.py): a page kept in the page cache is answered here, before anything else
    # runs; a fresh one gets its caching headers here, after every other middleware has had its say (they
    # add the security headers, and may add cookies or Vary: Cookie), so the copy it keeps carries them all.
    # config/wsgi.py answers the same copies even earlier, before Django builds a request.
    "core.caching.PublicPageMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Permissions-Policy on every answer, and 400 for a NUL in the address, headers or cookies or a query string
    # that is not UTF-8 (core/hostile_input.py), before anything else looks at them; the page cache, above, asks
    # the same question (environ_problem) and leaves such requests to this 400.
    "core.permissions_policy.PermissionsPolicyMiddleware",
    "core.hostile_input.RequestGuardMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Inside the page cache, so that it keeps (and validates) the compressed bytes; outside everything
    # else, so that nothing writes to a body after it is compressed.
    "core.compression.CompressionMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Lazy: tells the admin whether this session proved a two-factor device (core/admin_site.py).
    "django_otp.middleware.OTPMiddleware",
    # 413 for a body bigger than its sender may send, before anything parses it (CSRF reads forms in process_view).
    "core.hostile_input.RequestBodyGuardMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
CSRF_FAILURE_VIEW = "core.views.csrf_failure"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "core.context_processors.site",
                "briefs.context_processors.navigation",
                "briefs.context_processors.page_address",
            ],
        },
    },
]

# SQLite is the embedded default so a new user needs nothing installed;
# production sets DATABASE_URL to PostgreSQL.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the task worker write while the web process reads, and the
    # busy timeout makes the two wait for each other instead of failing.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

# Staff sign-in and database outages (README "Running in production").
# - Admin logins (core/login_throttle.py, logger "core.login_throttle"): after this many wrong passwords or
#   codes for one account, or from one client address (REMOTE_ADDR; the proxy's X-Forwarded-For only with
#   BEHIND_PROXY=1), within LOGIN_LOCKOUT_SECONDS, attempts are refused (429) for LOGIN_LOCKOUT_SECONDS.
LOGIN_FAILURES_PER_ACCOUNT = int(os.environ.get("LOGIN_FAILURES_PER_ACCOUNT", "5"))
LOGIN_FAILURES_PER_ADDRESS = int(os.environ.get("LOGIN_FAILURES_PER_ADDRESS", "20"))
LOGIN_LOCKOUT_SECONDS = int(os.environ.get("LOGIN_LOCKOUT_SECONDS", "900"))
# - Two-factor sign-in (core/admin_site.py): staff may enrol an authenticator app; with this on, superusers must.
STAFF_2FA_REQUIRED = env_bool("STAFF_2FA_REQUIRED", False)
OTP_TOTP_ISSUER = lambda device: SITE_NAME  # noqa: E731 - read when a QR code is drawn, after SITE_NAME is set
# - Sign-in pages and a login whose ?next= is missing or unsafe lead to the admin (not /accounts/profile/).
LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "admin:index"
# - A database that refuses or does not answer gives a 503 page within seconds (core/database.py): every
#   process gives up connecting after DATABASE_CONNECT_TIMEOUT seconds; the web process only (config/wsgi.py)
#   also stops statements after DATABASE_STATEMENT_TIMEOUT seconds and waits hardly longer for any answer (0: no
#   limits), so that db_worker's batches and migrations, which run without it, are never cut short.
DATABASE_CONNECT_TIMEOUT = int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "2"))
DATABASE_STATEMENT_TIMEOUT = float(os.environ.get("DATABASE_STATEMENT_TIMEOUT", "2"))
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = DATABASE_CONNECT_TIMEOUT

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A Redis that has not answered within this time is treated as away (redis-py would wait 5 s): the page cache
# then draws the page (core/caching.py) instead of holding every reader up.
REDIS_TIMEOUTS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
CACHES = {
    "default": (
        {"BACKEND": "core.redis_cache.RedisCache", "LOCATION": os.environ["REDIS_URL"], "OPTIONS": REDIS_TIMEOUTS}
        if os.environ.get("REDIS_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "policy-briefs"}
    ),
    # Whole public pages (core/caching.py), kept apart so that they never crowd out rate-limit counters.
    "pages": (
        {
            "BACKEND": "core.redis_cache.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": "pages",
            "OPTIONS": REDIS_TIMEOUTS,
        }
        if os.environ.get("REDIS_URL")
        else {
            # Stored pages are immutable tuples (core/caching.py), so they need not be pickled.
            "BACKEND": "core.memory_cache.ObjectMemoryCache",
            "LOCATION": "policy-briefs-pages",
            "OPTIONS": {"MAX_ENTRIES": 2000},
        }
    ),
    # With Redis, each web process's own copies of the pages it has served (core/caching.py): a hit then needs no
    # round trip, as the content version is kept in memory too (core/content_version.py).
    "page-copies": {
        "BACKEND": "core.memory_cache.ObjectMemoryCache",
        "LOCATION": "policy-briefs-page-copies",
        "OPTIONS": {"MAX_ENTRIES": 1000},
    },
    # Pieces of pages made once per content version (core/fragments.py). Always each process's own memory, even
    # with Redis: their keys include the version, so a local copy is never stale, and a dozen Redis round trips
    # a page cost more than making the pieces once per process.
    "fragments": {
        "BACKEND": "core.memory_cache.ObjectMemoryCache",
        "LOCATION": "policy-briefs-fragments",
        "OPTIONS": {"MAX_ENTRIES": 5000},
    },
}
# core/fragments.py: on unless FRAGMENT_CACHE=0 (to measure or debug what the pieces cost when made each time).
FRAGMENT_CACHE = env_bool("FRAGMENT_CACHE", True)

# Public pages (core/caching.py): how long browsers (max-age) and shared caches such as Varnish or a CDN
# (s-maxage) may keep them, and how long a shared cache may serve an expired copy while it fetches a fresh one.
# Publishing purges the proxies at once (core/purge.py), so s-maxage only bounds how long a lost purge lasts.
CACHE_MAX_AGE = int(os.environ.get("CACHE_MAX_AGE", "60"))
CACHE_S_MAXAGE = int(os.environ.get("CACHE_S_MAXAGE", "3600"))
CACHE_STALE_WHILE_REVALIDATE = int(os.environ.get("CACHE_STALE_WHILE_REVALIDATE", "30"))
# The application's own page cache, for sites without a proxy in front (Redis with REDIS_URL, otherwise
# each process's memory). Off by default with DEBUG, where templates change without content changing.
PAGE_CACHE = env_bool("PAGE_CACHE", not DEBUG)
# Reverse proxies (Varnish with deploy/varnish/default.vcl, or a CDN that takes the same request) that are sent a
# PURGE with the tags of what changed, e.g. "http://127.0.0.1:6081,http://10.0.0.5:6081".
CACHE_PURGE_URLS = env_list("CACHE_PURGE_URLS", "")
# Seconds a purge waits for a proxy, and the waits between attempts before it gives up (and logs an error).
CACHE_PURGE_TIMEOUT = float(os.environ.get("CACHE_PURGE_TIMEOUT", "2"))
CACHE_PURGE_RETRY_DELAYS = (2, 5, 15, 60, 300, 900)
# With the local-memory cache, the content version that invalidates cached pages lives in this file, so
# that every process on the machine (web workers, db_worker) sees a change made by any of them.
CONTENT_VERSION_FILE = Path(os.environ.get("CONTENT_VERSION_FILE", BASE_DIR / ".content-version"))
# With Redis, each web process keeps the content version in memory and reads it again this often, instead of on
# every page; a change shows everywhere within this time, and proxies are purged once it has (0: read every time).
CONTENT_VERSION_REFRESH_SECONDS = float(os.environ.get("CONTENT_VERSION_REFRESH_SECONDS", "0.05"))

TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Whether Django itself serves uploaded files (local use); production leaves
# that to the web server or a storage service.
SERVE_MEDIA = env_bool("SERVE_MEDIA", DEBUG)
# Uploaded files never change under their name (names are random, and a
# rendition's name is its original's plus its width), so browsers and CDNs
# may keep them for a year.
MEDIA_CACHE_CONTROL = "public, max-age=31536000, immutable"


def s3_media_storage(environ) -> tuple[dict | None, list[str]]:
    """The S3 storage for uploads that ``environ`` describes, and the origins pages load media from.

    (None, []) when no bucket is named: uploads stay in MEDIA_ROOT.
    """
    bucket = environ.get("AWS_STORAGE_BUCKET_NAME", "")
    if not bucket:
        return None, []
    endpoint = environ.get("AWS_S3_ENDPOINT_URL", "").rstrip("/")
    region = environ.get("AWS_S3_REGION_NAME", "")
    domain = environ.get("AWS_S3_CUSTOM_DOMAIN", "")
    storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint or None,
            "region_name": region or None,
            "custom_domain": domain or None,
            # Services other than AWS want path-style addresses (endpoint/bucket/key).
            "addressing_style": environ.get("AWS_S3_ADDRESSING_STYLE") or ("path" if endpoint else "virtual"),
            "signature_version": "s3v4",
            # Public files at stable addresses: no expiring signatures, no overwriting.
            "querystring_auth": False,
            "file_overwrite": False,
            "default_acl": environ.get("AWS_DEFAULT_ACL") or None,
            "object_parameters": {"CacheControl": MEDIA_CACHE_CONTROL},
        },
    }
    if domain:
        origins = [f"https://{domain}"]
    elif endpoint:
        origins = [f"{urlsplit(endpoint).scheme}://{urlsplit(endpoint).netloc}"]
    else:
        origins = [f"https://{bucket}.s3.amazonaws.com"] + (
            [f"https://{bucket}.s3.{region}.amazonaws.com"] if region else []
        )
    return storage, origins


# Media on S3-compatible storage (AWS S3, Cloudflare R2, MinIO...) when
# AWS_STORAGE_BUCKET_NAME is set; see docs/deployment.md. Credentials come from
# AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (read by boto3 itself).
# Thumbnails and renditions are stored beside the originals in the same bucket.
# Pages load images from MEDIA_ORIGINS, so the Content Security Policy allows them.
_s3_storage, MEDIA_ORIGINS = s3_media_storage(os.environ)
if _s3_storage:
    STORAGES["default"] = _s3_storage

# Email goes through Django 6.1's MAILERS (the EMAIL_* settings are
# deprecated). The console mailer prints messages locally; setting EMAIL_HOST
# switches to real SMTP. Send with `mail.mailers.default` (not the deprecated
# get_connection()); tests point MAILERS["default"] at an in-process SMTP server.
MAILERS = {
    "default": (
        {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ["EMAIL_HOST"],
                "port": int(os.environ.get("EMAIL_PORT", "25")),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", False),
                "timeout": int(os.environ.get("EMAIL_TIMEOUT", "30")),
            },
        }
        if os.environ.get("EMAIL_HOST")
        else {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    )
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Policy Briefs <briefs@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# The organisation, shown in the header, footer, feeds and emails.
SITE_NAME = os.environ.get("SITE_NAME", "Meridian Policy Forum")
SITE_TAGLINE = os.environ.get("SITE_TAGLINE", "Independent, evidence-based policy briefs")
# Comma-separated "Label=URL" pairs, e.g. "X=https://x.com/example,LinkedIn=https://...".
SOCIAL_LINKS = [
    tuple(part.split("=", 1))
    for part in env_list(
        "SOCIAL_LINKS",
        "X=https://x.com/meridianpolicy,LinkedIn=https://www.linkedin.com/company/meridianpolicy,"
        "Instagram=https://www.instagram.com/meridianpolicy",
    )
    if "=" in part
]
POSTAL_ADDRESS = os.environ.get("POSTAL_ADDRESS", "Meridian Policy Forum, 12 Example Street, Springfield")

# The rich-text editor's own extensions: the photo block places library photos
# inside a section's text (core/richtext.py stores it as a placeholder). The
# script path goes through the static files storage when a page is drawn.
DJANGO_PROSE_EDITOR_EXTENSIONS = [
    {
        "js": [lazy(lambda path: static(path), str)("admin/js/photo-block.js")],
        "extensions": {"PhotoBlock": html_tags(["figure"], {"figure": ["data-photo-id"]})},
    }
]

# Public forms use Bootstrap 5 through crispy-forms.
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Content Security Policy: only our own scripts, plus inline ones carrying the
# per-request nonce (the admin's import maps need it). Styles allow inline
# attributes because the admin and the rich-text editor set them.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", *MEDIA_ORIGINS],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# Security headers. HTTPS settings switch on when the site is served over
# HTTPS (SITE_URL starts with https://), which is how production runs.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
_HTTPS = SITE_URL.startswith("https://")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", _HTTPS)
# Load balancers check health over plain HTTP; a redirect would read as down.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = _HTTPS
CSRF_COOKIE_SECURE = _HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000" if _HTTPS else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _HTTPS
# Preloading is a promise to browsers' built-in lists that is slow to take back: only when asked for.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Django's deploy check asks for preload (security.W021); without it here that is a decision, not an oversight.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
if env_bool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Request limits and the browser features pages may use (core/hostile_input.py, core/permissions_policy.py).
# Form fields other than files: 2.5 MB, far more than the longest brief's text.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440))
# Uploads above this are spooled to a temporary file instead of held in a worker's memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("FILE_UPLOAD_MAX_MEMORY_SIZE", 2_621_440))
# Whole request bodies, refused with 413 from Content-Length before parsing: staff send a 10 MB photo and its
# form (match the proxy's limit to it, docs/deployment.md); visitors' forms (subscribe, login) are far below 64 KB.
REQUEST_BODY_MAX_BYTES = int(os.environ.get("REQUEST_BODY_MAX_BYTES", 11 * 1024 * 1024))
ANONYMOUS_REQUEST_BODY_MAX_BYTES = int(os.environ.get("ANONYMOUS_REQUEST_BODY_MAX_BYTES", 64 * 1024))
# Browser features no page of ours uses, denied to it and to anything it embeds.
PERMISSIONS_POLICY = dict.fromkeys(
    [
        *("accelerometer", "camera", "display-capture", "geolocation", "gyroscope", "hid", "magnetometer"),
        *("microphone", "midi", "payment", "serial", "usb", "xr-spatial-tracking", "browsing-topics"),
        "interest-cohort",  # FLoC, browsing-topics' predecessor, for the browsers that shipped it
    ],
    (),
)

# Newsletter campaigns. The mailto half of every List-Unsubscribe header: a
# mailbox someone reads (or a script processes), by default the sender's own.
# ("Policy Briefs <briefs@example.org>" gives "briefs@example.org".)
NEWSLETTER_UNSUBSCRIBE_MAILTO = os.environ.get(
    "NEWSLETTER_UNSUBSCRIBE_MAILTO", DEFAULT_FROM_EMAIL.rpartition("<")[2].rstrip(">").strip()
)
# Deliveries a worker claims at a time (each sent message is noted on its own
# either way, see docs/delivery.md); larger batches mean fewer claims.
NEWSLETTER_BATCH_SIZE = int(os.environ.get("NEWSLETTER_BATCH_SIZE", "100"))
# Crash-safe sending (docs/delivery.md). A worker holds what it sends for this
# many seconds and renews the hold every third of it while alive; when a worker
# dies, any running worker takes its campaign over once the hold runs out (a few
# seconds after). It must be at least 1.5 times EMAIL_TIMEOUT (start-up fails
# otherwise): one message may take that long between two renewals. A database
# that stops answering is waited out for up to NEWSLETTER_DB_PATIENCE_SECONDS
# before the task gives up.
NEWSLETTER_LEASE_SECONDS = int(os.environ.get("NEWSLETTER_LEASE_SECONDS", "60"))
NEWSLETTER_DB_PATIENCE_SECONDS = int(os.environ.get("NEWSLETTER_DB_PATIENCE_SECONDS", "600"))
_shortest_lease = 1.5 * int(os.environ.get("EMAIL_TIMEOUT", "30"))
if os.environ.get("EMAIL_HOST") and _shortest_lease > NEWSLETTER_LEASE_SECONDS:
    raise ImproperlyConfigured(
        "NEWSLETTER_LEASE_SECONDS must be at least 1.5 times EMAIL_TIMEOUT, or a slow message could let a second "
        "worker send the same deliveries again."
    )
# Sending or scheduling a campaign asks staff to confirm how many it reaches;
# above this many recipients they type the number instead of pressing a button.
NEWSLETTER_CONFIRM_TYPED_ABOVE = int(os.environ.get("NEWSLETTER_CONFIRM_TYPED_ABOVE", "1000"))
# DKIM: with a private key (PEM text, "\n" for line breaks allowed, or the path of a
# PEM file) and its selector, campaigns and confirmation emails are signed by the
# app for the From address's domain; the public key is published at
# <selector>._domainkey.<domain>. Without them, mail goes unsigned (your mail
# provider may sign it). The campaign page checks the DNS records either way.
DKIM_SELECTOR = os.environ.get("DKIM_SELECTOR", "").strip()
DKIM_PRIVATE_KEY = os.environ.get("DKIM_PRIVATE_KEY", "").strip()
if DKIM_PRIVATE_KEY and not DKIM_SELECTOR:
    raise ImproperlyConfigured("DKIM_PRIVATE_KEY is set but DKIM_SELECTOR is not: set both, or neither.")
# Name servers ("ip" or "ip:port", comma-separated) for the deliverability checks'
# DNS lookups; empty uses the machine's resolver configuration.
NEWSLETTER_DNS_NAMESERVERS = env_list("NEWSLETTER_DNS_NAMESERVERS")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
