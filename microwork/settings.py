"""One settings module, driven by environment variables.

`MICROWORK_ENV=production` switches on the production profile (which passes
`manage.py check --deploy`); anything else is development, where everything
runs embedded: SQLite, local-memory cache, console SMS and email, the sandbox
payment gateway. Production defaults to real rails (Stripe, Twilio, email
through anymail) and `microwork.core.checks` refuses to start on toy ones.
"""

import os
from datetime import date, timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _

from microwork.envsettings import anymail_settings, email_backend_path, env, env_bool, env_list, origin_of

BASE_DIR = Path(__file__).resolve().parent.parent


PRODUCTION = env("MICROWORK_ENV", "development") == "production"

if PRODUCTION:
    SECRET_KEY = os.environ["SECRET_KEY"]
else:
    SECRET_KEY = env("SECRET_KEY", "development-only-key-never-used-in-production-0123456789")

DEBUG = env_bool("DEBUG", not PRODUCTION)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "*")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "microwork.web.admin_apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "microwork.core",
    "microwork.accounts",
    "microwork.ledger",
    "microwork.notifications",
    "microwork.missions",
    "microwork.payouts",
    "microwork.gigs",
    "microwork.billing",
    "microwork.moderation",
    "microwork.webhooks",
    "microwork.api",
    "microwork.web",
    "microwork.ops",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "microwork.core.headers.PermissionsPolicyMiddleware",
    # Before anything reads the body (sessions, CSRF, idempotency).
    "microwork.core.limits.RequestBodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "microwork.web.middleware.StaffSecondFactorMiddleware",
    "microwork.web.middleware.SessionRecordMiddleware",
    "microwork.web.middleware.LanguageRecordMiddleware",
    "microwork.web.middleware.LegalConsentMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "microwork.core.idempotency.IdempotencyMiddleware",
    "microwork.core.problems.MethodNotAllowedMiddleware",
    # Last, as django-axes asks: it turns a sign-in lockout into its answer.
    "axes.middleware.AxesMiddleware",
]
# The benchmark's bare twin views and query counts (bench/README.md): never in
# production (microwork.E008).
BENCH = env_bool("MICROWORK_BENCH", False)
if BENCH:
    MIDDLEWARE.insert(0, "microwork.ops.bench.QueryCountMiddleware")
# Whose Idempotency-Key a request's key is: the API knows its bearer tokens.
IDEMPOTENCY_SCOPE = "microwork.api.auth.idempotency_scope"

ROOT_URLCONF = "microwork.urls"
WSGI_APPLICATION = "microwork.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "microwork.ledger.views.demo_mode",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "microwork.core.headers.csp_nonce",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=600,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # Writers take the lock up front, so two writers queue instead of
        # failing with "database is locked" when a read upgrades to a write.
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory: race tests open several connections at once.
    (BASE_DIR / "var").mkdir(exist_ok=True)
    # TEST_SQLITE_NAME lets two test runs on one checkout keep apart.
    DATABASES["default"]["TEST"] = {"NAME": env("TEST_SQLITE_NAME", str(BASE_DIR / "var" / "test.sqlite3"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts -------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# django-axes first: it refuses a locked-out sign-in before the password is checked.
AUTHENTICATION_BACKENDS = [
    "microwork.accounts.backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "web:home"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
TERMS_VERSION = env("TERMS_VERSION", "2026-01")
# The legal documents in force (AC03): kind -> (version, publication date).
# A new version makes every signed-in user who must accept it do so at their
# next page view (web.middleware.LegalConsentMiddleware).
LEGAL_DOCUMENT_VERSIONS = {
    "terms_of_use": (TERMS_VERSION, "2026-01-01"),
    "terms_of_sale": (TERMS_VERSION, "2026-01-01"),
    "privacy": (env("PRIVACY_VERSION", "2026-12"), "2026-12-01"),
    "legal_notice": ("2026-12", "2026-12-01"),
}
PHONE_DEFAULT_REGION = "FR"
PHONE_CODE_TTL_MINUTES = 10
PHONE_CODE_MAX_ATTEMPTS = 5
PHONE_CODE_RESEND_SECONDS = 60
PHONE_CODE_MAX_PER_HOUR = 5
# An API token lasts this long from its creation (PL06); a new one is a sign-in away.
API_TOKEN_TTL_DAYS = int(env("API_TOKEN_TTL_DAYS", "90"))

# --- Request bodies and uploads (PL06) -------------------------------------
# A body longer than this is refused with 413 before it is read
# (core.limits.RequestBodyLimitMiddleware): one 10 MB file and its form.
# The front server refuses earlier still (docs/deploy.md: client_max_body_size).
MAX_REQUEST_BODY_BYTES = 11 * 1024 * 1024
# Where several files go at once: up to 5 files of 10 MB in an order's
# message or delivery, a report's photos on its page.
REQUEST_BODY_LIMITS = [
    (r"^/api/v1/orders/[^/]+/(messages|deliveries)$", 51 * 1024 * 1024),
    (r"^/commandes/\d+/", 51 * 1024 * 1024),
    (r"^/missions/participations/\d+/rapport/$", 51 * 1024 * 1024),
]
# What Django reads into memory: form fields and JSON bodies (files aside)...
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# ... and a file past this size goes to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Pillow refuses an image with more pixels (a decompression bomb) before decoding it.
MAX_IMAGE_PIXELS = 40_000_000

# --- Money ----------------------------------------------------------------
CURRENCY = "EUR"
PAYMENT_GATEWAY = env("PAYMENT_GATEWAY", "stripe" if PRODUCTION else "sandbox")
TOPUP_MAX_CENTS = 1_000_000_00
# Where the provider sends a payer back after checkout: this site's address.
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Stripe (PAYMENT_GATEWAY=stripe): Checkout for top-ups, refunds, signed webhooks
# at /api/v1/payments/stripe/webhook. STRIPE_PAYMENT_METHOD_TYPES empty lets the
# Stripe account's own settings choose (card, SEPA transfer, PayPal...).
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET")
STRIPE_API_BASE = env("STRIPE_API_BASE", "https://api.stripe.com")
STRIPE_PAYMENT_METHOD_TYPES = env_list("STRIPE_PAYMENT_METHOD_TYPES", "")
# The platform's own account, debtor of the SEPA payout batches.
PAYOUT_DEBTOR_NAME = env("PAYOUT_DEBTOR_NAME", "Microwork SAS")
PAYOUT_DEBTOR_IBAN = env("PAYOUT_DEBTOR_IBAN", "FR7630006000011234567890189")
PAYOUT_DEBTOR_BIC = env("PAYOUT_DEBTOR_BIC", "AGRIFRPPXXX")
# Invoices (PL02): the platform as seller, printed on every invoice and in
# its Factur-X XML; numbers read PREFIX-YEAR-000001.
BILLING_SELLER = {
    "name": env("BILLING_SELLER_NAME", "Microwork SAS"),
    "legal_form": env("BILLING_SELLER_LEGAL_FORM", "SAS au capital de 10 000 €, RCS Paris"),
    "siret": env("BILLING_SELLER_SIRET", "73282932000074"),
    "vat_number": env("BILLING_SELLER_VAT_NUMBER", "FR44732829320"),
    "address_line1": env("BILLING_SELLER_ADDRESS", "10 rue de la Paix"),
    "postcode": env("BILLING_SELLER_POSTCODE", "75002"),
    "city": env("BILLING_SELLER_CITY", "Paris"),
    "country": env("BILLING_SELLER_COUNTRY", "FR"),
    "email": env("BILLING_SELLER_EMAIL", "factures@microwork.fr"),
}
INVOICE_NUMBER_PREFIX = env("INVOICE_NUMBER_PREFIX", "MW")
# Charges are taken from the customer's balance when they happen: an invoice
# records payments already made, due on its issue date unless said otherwise.
INVOICE_PAYMENT_DAYS = int(env("INVOICE_PAYMENT_DAYS", "0"))
# French hourly minimum wage (SMIC), gross, in cents, by date in force (HM08).
SMIC_HOURLY_CENTS = [
    (date(2025, 1, 1), 1188),
    (date(2026, 1, 1), 1202),
]
# The most a company may add as one bonus on an approved report, before fee and VAT.
BONUS_CAP_CENTS = int(env("BONUS_CAP_CENTS", "50000"))

# --- Internationalisation -------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
# English dates as in Europe (1 Dec 2026, 14:05); French keeps Django's own.
FORMAT_MODULE_PATH = ["microwork.formats"]
LOCALE_PATHS = [BASE_DIR / "microwork" / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Europe/Paris"

# --- Files ----------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# Files a phone or a browser asks for at the site's root (favicon.ico, the web
# app manifest), served by WhiteNoise like the static files.
WHITENOISE_ROOT = BASE_DIR / "microwork" / "web" / "root"
WHITENOISE_MIMETYPES = {".webmanifest": "application/manifest+json"}
# Uploaded files: private, never served statically in any profile (no URL
# maps to MEDIA_ROOT, and the front server must not serve it either); each is
# handed out by a view that checks who asks (core.uploads.file_response).
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Cache ----------------------------------------------------------------
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "microwork.core.cache.RedisCache",
            "LOCATION": env("REDIS_URL"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The open missions' pages taskers share are kept this many seconds in the
# cache (missions/selectors/feed.py); any write to a mission or a claim makes
# them out of date at once. Only with a cache every worker shares (Redis).
MISSION_FEED_CACHE_SECONDS = int(env("MISSION_FEED_CACHE_SECONDS", "5" if REDIS_URL else "0"))

# A live API token's lookup (with its user) is kept this many seconds in the
# cache (accounts/services/tokens.py); any write to the token or its user
# ends it at once. Only with a cache every worker shares (Redis).
API_TOKEN_CACHE_SECONDS = int(env("API_TOKEN_CACHE_SECONDS", "60" if REDIS_URL else "0"))

# --- Rate limits and sign-in lockouts (PL06) --------------------------------
# Both count on the cache above: local memory holds for one process (development),
# Redis for every worker (production requires REDIS_URL: microwork.E007).
# Staff's second factor (PL06): the name authenticator apps show.
OTP_TOTP_ISSUER = "Microwork"

# django-axes locks an (address, email) pair out after AXES_FAILURE_LIMIT wrong
# passwords, on the API's POST /tokens, the sign-in page and the admin's.
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(env("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["ip_address", "username"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "microwork.accounts.signin.axes_username"
AXES_CLIENT_IP_CALLABLE = "microwork.core.ratelimit.client_ip"
AXES_LOCKOUT_CALLABLE = "microwork.web.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
# The cache handler keeps no rows: nothing to show in the admin.
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False
# django-ratelimit counts the other limits (microwork.core.ratelimit): calls per
# address and per account over a window. Its app is not installed: it only adds
# a system check that knows memcached and django-redis but not Django's own
# RedisCache, whose `incr` is atomic; microwork.E007 checks the cache instead.
RATELIMIT_USE_CACHE = "default"
RATE_LIMITS = {
    # name: (calls, seconds)
    "token_ip": (30, 600),
    "token_email": (10, 600),
    "signup_ip": (10, 3600),
    "sms_ip": (10, 3600),
    "password_reset_ip": (10, 3600),
    "password_reset_email": (3, 3600),
    # Claims per tasker (fair dispatch): a burst, and a sustained rate that
    # still lets a quick hand take a task of seconds every twelve seconds.
    "claim_burst": (10, 60),
    "claim_sustained": (300, 3600),
}
if BENCH:
    # `make bench`'s taskers are scripts doing in seconds what people do in
    # minutes: fair dispatch would answer most of their claims 429 and the
    # figures would measure the limit. Raised there, as in the tests; the
    # limits have their own tests (test_mw01_fair_dispatch_*).
    RATE_LIMITS |= {"claim_burst": (100_000, 60), "claim_sustained": (100_000, 3600)}
if not PRODUCTION and CACHES["default"]["BACKEND"].endswith("LocMemCache"):
    # One development process: its own memory is the whole count.
    SILENCED_SYSTEM_CHECKS = ["axes.W001"]

# --- Email and SMS --------------------------------------------------------
ANYMAIL_PROVIDER = env("ANYMAIL_PROVIDER", "brevo")
ANYMAIL = anymail_settings(ANYMAIL_PROVIDER, credential=env("ANYMAIL_API_KEY"), api_url=env("ANYMAIL_API_URL"))
EMAIL_BACKEND = email_backend_path(env("EMAIL_BACKEND", "anymail" if PRODUCTION else "console"), ANYMAIL_PROVIDER)
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "email"))
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Microwork <noreply@microwork.fr>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

SMS_BACKEND = env("SMS_BACKEND", "twilio" if PRODUCTION else "console")
SMS_FILE_PATH = env("SMS_FILE_PATH", str(BASE_DIR / "var" / "sms"))
TWILIO_ACCOUNT_SID = env("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env("TWILIO_AUTH_TOKEN")
# The sender: a number (or alphanumeric sender ID), or a messaging service
# that picks one; the service wins when both are set.
TWILIO_FROM = env("TWILIO_FROM")
TWILIO_MESSAGING_SERVICE_SID = env("TWILIO_MESSAGING_SERVICE_SID")

# --- Packaged services (AM) -------------------------------------------------
# Days an expert's fee waits in pending earnings before it may be withdrawn (AM16).
EARNINGS_CLEARING_DAYS = int(env("EARNINGS_CLEARING_DAYS", "3"))

# --- Background work ------------------------------------------------------
TASKS = {"default": {"BACKEND": env("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}
TICK_INTERVAL_SECONDS = int(env("TICK_INTERVAL_SECONDS", "60"))

# --- Webhooks for companies -------------------------------------------------
# Private, loopback and link-local addresses are refused in production (SSRF);
# development and tests may send to a receiver on this machine.
WEBHOOKS_ALLOW_PRIVATE_URLS = env_bool("WEBHOOKS_ALLOW_PRIVATE_URLS", not PRODUCTION)
WEBHOOKS_REQUIRE_HTTPS = env_bool("WEBHOOKS_REQUIRE_HTTPS", PRODUCTION)
# Seconds to wait for an answer (connecting: at most 5).
WEBHOOKS_TIMEOUT_SECONDS = int(env("WEBHOOKS_TIMEOUT_SECONDS", "10"))
# The waits after each failed try: 5 tries over about a day (5 min, 30 min, 3 h, 20 h).
WEBHOOKS_RETRY_DELAYS_SECONDS = [
    int(seconds) for seconds in env_list("WEBHOOKS_RETRY_DELAYS_SECONDS", "300,1800,10800,72000")
]
WEBHOOKS_MAX_ENDPOINTS = int(env("WEBHOOKS_MAX_ENDPOINTS", "10"))

# --- Data export (AC03) ---------------------------------------------------
# Above this many rows the export is built in the background and emailed as a link.
EXPORT_INLINE_MAX_ROWS = int(env("EXPORT_INLINE_MAX_ROWS", "5000"))
# Built exports wait here, outside MEDIA_ROOT, served only to their owner.
EXPORT_ROOT = Path(env("EXPORT_ROOT", str(BASE_DIR / "var" / "exports")))
EXPORT_LINK_MAX_AGE_SECONDS = int(env("EXPORT_LINK_MAX_AGE_SECONDS", str(7 * 24 * 3600)))

# --- Maps and addresses (HM12) ---------------------------------------------
# The national address service, asked by the mission form from the browser, and
# by the server when the browser could not (GEOCODER: `ban`, `stub` with a few
# fixed addresses and no network, or a dotted path to a class with `search`).
ADDRESS_API_URL = env("ADDRESS_API_URL", "https://api-adresse.data.gouv.fr/search/")
GEOCODER = env("GEOCODER", "ban" if PRODUCTION else "stub")
# Map tiles shown by Leaflet (served from this site's static files) on a mission's page.
MAP_TILE_URL = env("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")


# --- Security -------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): scripts and styles from this site only,
# inline scripts only with the request's nonce; the page may ask the address
# service and show map tiles. A form may post to this site,
# and to the payment page it redirects to (Stripe Checkout), nowhere else.
FORM_ACTION_ORIGINS = env_list("CSP_FORM_ACTION", "https://checkout.stripe.com" if PAYMENT_GATEWAY == "stripe" else "")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:", origin_of(MAP_TILE_URL)],
        "font-src": [SELF],
        "connect-src": [SELF, origin_of(ADDRESS_API_URL)],
        "frame-ancestors": [NONE],
        "form-action": [SELF, *FORM_ACTION_ORIGINS],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}
# Browser features: none but the position, which "Near me" (HM12) asks for;
# report photos come from a file input, which needs no camera permission.
PERMISSIONS_POLICY: dict[str, list[str]] = {"geolocation": ["self"]} | {feature: [] for feature in (
    "camera", "microphone", "payment", "usb", "serial", "bluetooth", "midi",
    "magnetometer", "gyroscope", "accelerometer", "display-capture", "browsing-topics",
)}  # fmt: skip
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
