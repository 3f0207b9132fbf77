"""An on-disk cache of final answers, for development re-runs of a collector (``--cache DIR``); off by default.

Deliberately not an HTTP-semantics cache (review pages are usually ``no-store``): every successful answer is kept,
keyed by method + URL + body, until the folder is deleted. A hit skips robots.txt, pacing and the network.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from .._files import write_atomic
from ..errors import InputError
from .messages import Request, Response

__all__ = ["FileCache"]


class FileCache:
    """One ``<key>.json`` (URL, status, headers) and one ``<key>.body`` per cached request."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create the cache folder ({exc.strerror})", where=str(self.folder)) from None

    @staticmethod
    def key(request: Request) -> str:
        body = json.dumps(request.data, sort_keys=True) if request.data is not None else ""
        raw = "\n".join([request.method.upper(), request.url, hashlib.sha256(body.encode()).hexdigest()])
        return hashlib.sha256(raw.encode()).hexdigest()

    def get(self, request: Request) -> Response | None:
        key = self.key(request)
        meta_path, body_path = self.folder / f"{key}.json", self.folder / f"{key}.body"
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            content = body_path.read_bytes()
        except (OSError, ValueError):
            return None
        return Response(meta["url"], meta["status"], meta["headers"], content, meta.get("encoding"))

    def put(self, request: Request, response: Response) -> None:
        key = self.key(request)
        meta = {"url": response.url, "status": response.status, "headers": response.headers}
        meta["encoding"] = response.encoding
        # body first, metadata last: a metadata file means a complete entry
        write_atomic(self.folder / f"{key}.body", response.content)
        write_atomic(self.folder / f"{key}.json", json.dumps(meta, ensure_ascii=False))
