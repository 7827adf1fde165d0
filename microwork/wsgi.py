import os

from django.conf import settings
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "microwork.settings")

application = get_wsgi_application()

# Gunicorn runs no system checks of its own: a production worker checks at
# load and refuses to boot (SystemCheckError) on toy payment, SMS or email rails.
if settings.PRODUCTION:
    call_command("check")
