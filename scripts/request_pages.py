"""Request each page given N times (N from the environment, default 2) as one user, in this process: what
`scripts/instructions.sh` runs under callgrind twice, to count the instructions one request takes.

    python scripts/request_pages.py USERNAME URL [URL ...]
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadership.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402


def main(username: str, urls: list[str], times: int) -> None:
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise SystemExit(
            f"No user {username}: give a username of the loaded data (`manage.py load_scale` makes scale-*)."
        )
    client = Client()
    client.force_login(user)
    for url in urls:
        for _ in range(times):
            status = client.get(url).status_code
            if status != 200:
                raise SystemExit(f"{url} answered {status} as {username}: give a page that user may open.")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2:], int(os.environ.get("N", "2")))
