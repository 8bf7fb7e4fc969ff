"""WebhookSender over HTTP(S): one POST per attempt, to an address the SSRF rule allows."""

from __future__ import annotations

import contextlib
import http.client
import logging
import socket
import ssl
import threading
from collections.abc import Callable
from urllib.parse import urlsplit

from profilephoto.adapters.webhooks.signing import WebhookSigner
from profilephoto.domain.errors import WebhookUnreachable
from profilephoto.domain.ports import AddressResolver
from profilephoto.domain.webhooks import TIMEOUT_SECONDS, host_and_port, refusal

log = logging.getLogger(__name__)
USER_AGENT = "profilephoto-webhooks/1"


class SystemResolver:
    """AddressResolver over the system's resolver (getaddrinfo)."""

    def addresses(self, host: str, port: int) -> list[str]:
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            return []
        return list(dict.fromkeys(str(info[4][0]) for info in found))


class _PinnedConnection(http.client.HTTPConnection):
    """An HTTP connection to `address` (already checked) for the URL's host: no second
    lookup between the check and the connect, so a rebinding name cannot slip past."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedTlsConnection(_PinnedConnection):
    default_port = http.client.HTTPS_PORT

    def __init__(
        self, host: str, port: int, address: str, timeout: float, context: ssl.SSLContext
    ) -> None:
        super().__init__(host, port, address, timeout)
        self._tls = context

    def connect(self) -> None:
        super().connect()
        # The certificate must name the URL's host, as it would without the pinning.
        self.sock = self._tls.wrap_socket(self.sock, server_hostname=self.host)


class _Deadline:
    """Ends an attempt that ran out of time: a blocked read returns at once. What it read
    up to then (a cut-off answer may parse) does not count: `passed` says so."""

    def __init__(self, connection: http.client.HTTPConnection, seconds: float) -> None:
        self.passed = threading.Event()
        self._connection = connection
        self._timer = threading.Timer(seconds, self._cut_off)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()

    def _cut_off(self) -> None:
        self.passed.set()
        sock = self._connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed: the attempt ended by itself
                sock.shutdown(socket.SHUT_RDWR)


class HttpWebhookSender:
    """POSTs signed events; refuses loopback, private, link-local and metadata addresses
    unless `allow_private`; follows no redirect (a 3xx is an answer, retried as a failure);
    gives an attempt `timeout` seconds in all; reads no more of the answer than its status
    line and headers."""

    def __init__(
        self,
        secret: Callable[[], str],
        resolver: AddressResolver,
        *,
        allow_private: bool = False,
        timeout: float = TIMEOUT_SECONDS,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self._secret, self._resolver = secret, resolver
        self._allow_private, self._timeout = allow_private, timeout
        self._tls = tls or ssl.create_default_context()
        self._signer: WebhookSigner | None = None

    def send(self, url: str, message_id: str, body: bytes) -> int:
        parts = urlsplit(url)
        host, port = host_and_port(url)
        address = self._address(host, port)
        headers = {
            **self._signing().headers(message_id, body),
            "content-type": "application/json",
            "user-agent": USER_AGENT,
        }
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection = (
            _PinnedTlsConnection(host, port, address, self._timeout, self._tls)
            if parts.scheme == "https"
            else _PinnedConnection(host, port, address, self._timeout)
        )
        # The socket's timeout bounds each wait; the deadline bounds the attempt: a receiver
        # that trickles its answer a byte at a time is cut off when the time is up.
        try:
            with _Deadline(connection, self._timeout) as deadline:
                connection.request("POST", target, body=body, headers=headers)
                status = connection.getresponse().status
        except (OSError, http.client.HTTPException) as error:
            raise WebhookUnreachable(f"no answer ({type(error).__name__})") from error
        finally:
            connection.close()
        if deadline.passed.is_set():
            raise WebhookUnreachable(f"no answer within {self._timeout:g} s")
        return status

    def _address(self, host: str, port: int) -> str:
        """The first address of `host` the rule allows: every address is checked, so a name
        with one private address among public ones is refused whole."""
        addresses = self._resolver.addresses(host, port)
        if not addresses:
            raise WebhookUnreachable("the webhook's host does not resolve")
        if not self._allow_private:
            for address in addresses:
                if (reason := refusal(address)) is not None:
                    raise WebhookUnreachable(f"the webhook's host resolves to {reason}")
        return addresses[0]

    def _signing(self) -> WebhookSigner:
        # Read on the first delivery, not at start: a function that never delivers never
        # reads the secret (on AWS a Secrets Manager call).
        if self._signer is None:
            self._signer = WebhookSigner(self._secret())
        return self._signer
