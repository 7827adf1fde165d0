"""How the settings read the environment: typed variables, the email
backend by its short name, Anymail's provider options, a URL's origin.
Plain functions, importable before Django is set up."""

import os


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


_EMAIL_BACKENDS = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
}
# Most providers take an API key; these few name their credential otherwise.
_ANYMAIL_CREDENTIALS = {
    "mailersend": "API_TOKEN",
    "mailtrap": "API_TOKEN",
    "postmark": "SERVER_TOKEN",
    "scaleway": "SECRET_KEY",
}


def email_backend_path(name: str, provider: str) -> str:
    """A short name, `anymail` (the provider's backend), or a dotted path."""
    if name == "anymail":
        return f"anymail.backends.{provider}.EmailBackend"
    return _EMAIL_BACKENDS.get(name, name)


def anymail_settings(provider: str, *, credential: str, api_url: str) -> dict[str, str]:
    """Anymail reads `<PROVIDER>_<SETTING>` keys; an unset credential stays
    absent, so the backend refuses to start instead of sending unsigned."""
    prefix = provider.upper()
    options = {}
    if credential:
        options[f"{prefix}_{_ANYMAIL_CREDENTIALS.get(provider, 'API_KEY')}"] = credential
    if api_url:
        options[f"{prefix}_API_URL"] = api_url
    return options


def origin_of(url: str) -> str:
    """`https://tile.example.org/{z}/...` -> `https://tile.example.org`."""
    parts = url.split("/")
    return "/".join(parts[:3])
