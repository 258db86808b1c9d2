"""The environment the benchmarks run Django in: the production settings (DEBUG off, as
deployed) with a key and host list of their own, answering plain HTTP on loopback.

Importing this module sets any of these the caller has not set, for this process and
the processes it starts.
"""

import os

BENCHMARK_ENVIRONMENT = {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "SECRET_KEY": "benchmarks-only-key-it-signs-nothing-anyone-receives-0123456789",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "SECURE_SSL_REDIRECT": "0",
    "LOG_LEVEL": "WARNING",
}

for _name, _value in BENCHMARK_ENVIRONMENT.items():
    os.environ.setdefault(_name, _value)
