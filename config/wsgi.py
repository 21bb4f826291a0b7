import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_wsgi_application()

# Everything loaded so far (Django, the apps, Polars, the URL and template machinery) lives as
# long as the worker: move it out of the cyclic collector's reach. Otherwise each full
# collection walks it again, a ~100 ms pause that lands on whichever request is running
# (the screener's p99 was 160 ms in one process, 79 ms with this; bench/README.md).
gc.collect()
gc.freeze()
