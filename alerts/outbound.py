"""Where alert webhooks may go, and the one POST that goes there.

A webhook URL is typed by a marketer and fetched by our server, so unchecked it reaches whatever the server
reaches: its own loopback, the cloud metadata service (169.254.169.254), internal services (SSRF). The URL
is checked when it is saved (forms.WebhookForm) and again at every send, because DNS answers change: the host
is resolved, every address checked, and the connection made to a checked address (never resolved again, so a
rebinding answer cannot slip in between). Redirects are never followed: a 3xx is a refused delivery.

Always refused: other schemes than http(s), user info in the URL, ports other than 80, 443 and 1024-65535
(less BLOCKED_PORTS), and loopback, link-local, unspecified, multicast, reserved and other non-public addresses
(IPv4 written as one number, hex or octal, and IPv4 inside IPv6 count as the address they stand for).
Private networks (PRIVATE_NETWORKS) only with settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS (a chat server on the
LAN). settings.WEBHOOK_ALLOWED_HOSTS names hosts (host, or host:port to allow that port too) trusted without
the address check. Requests go straight to the host: no HTTP proxy from the environment.
"""
import http.client
import ipaddress
import re
import socket
import ssl
from dataclasses import dataclass
from functools import partial
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

PUBLIC, PRIVATE, LOCAL = "public", "private", "local"
PRIVATE_NETWORKS = tuple(ipaddress.ip_network(net) for net in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"))
# Not all of these are flagged by the ipaddress properties (0/8 "this network", NAT64's well-known prefix).
LOCAL_NETWORKS = tuple(ipaddress.ip_network(net) for net in ("0.0.0.0/8", "64:ff9b::/96", "64:ff9b:1::/48"))
NAT64 = ipaddress.ip_network("64:ff9b::/96")
WEB_PORTS = (80, 443)
# Databases, caches and cluster control planes: never a chat server, and dangerous to reach with a POST.
BLOCKED_PORTS = frozenset({2375, 2376, 2379, 2380, 3306, 5432, 6379, 6443, 9200, 10250, 11211, 27017})
_NUMBER = re.compile(r"(?:0[xX][0-9a-fA-F]*|[0-9]+)\Z")
_OCTAL = re.compile(r"0[0-7]*\Z")


class Refused(Exception):  # noqa: N818  (a verdict, not a fault: the delivery must not be attempted)
    """The destination is not allowed; `code` says why. Terminal: trying again would knock on the same door."""

    def __init__(self, code, **params):
        super().__init__(code)
        self.code, self.params = code, params

    def message(self):
        """Why, in the active language."""
        texts = {
            "scheme": _("Enter an http or https URL."),
            "userinfo": _("Remove the user name and password from the URL: a webhook proves itself with its "
                          "signing secret."),
            "port": _("Port %(port)s is not allowed for webhooks: use 80, 443 or a web port from 1024 up."),
            "host": _("Enter a valid host name or IP address."),
            "local": _("This address (%(address)s) is on this server, link-local (such as the cloud metadata "
                       "service), multicast or reserved; webhooks may never go there."),
            "private": _("This address (%(address)s) is on a private or local network; webhooks may only go to "
                         "public hosts. An admin can allow private networks with WEBHOOK_ALLOW_PRIVATE_NETWORKS."),
            "redirect": _("HTTP %(status)s from the webhook: it redirects, and webhooks do not follow redirects. "
                          "Enter the final URL."),
        }
        return texts[self.code] % self.params

    def __str__(self):
        return self.message()


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str
    port: int
    target: str  # path and query, as sent in the request line
    addresses: tuple  # checked addresses to connect to; empty for an allow-listed host (resolved as usual)


def legacy_ipv4(host):
    """The IPv4 address a host written as numbers stands for (`2130706433`, `0x7f.1`, `0177.0.0.1`), else None.

    Resolvers (inet_aton) read these forms, so they are read here the same way, as the URL standard does: a
    host whose last label is a number is an IPv4 address or invalid, never a name.
    """
    labels = host.split(".")
    if len(labels) > 1 and labels[-1] == "":
        labels.pop()
    if not _NUMBER.match(labels[-1]):
        return None
    if len(labels) > 4 or not all(_NUMBER.match(label) for label in labels):
        raise Refused("host")
    numbers = []
    for label in labels:
        if label[:2].lower() == "0x":
            numbers.append(int(label[2:] or "0", 16))
        elif len(label) > 1 and label[0] == "0":
            if not _OCTAL.match(label):
                raise Refused("host")
            numbers.append(int(label, 8))
        else:
            numbers.append(int(label))
    *leading, last = numbers
    if any(number > 255 for number in leading) or last >= 256 ** (4 - len(leading)):
        raise Refused("host")
    return ipaddress.IPv4Address(sum(n << 8 * (3 - i) for i, n in enumerate(leading)) + last)


def _embedded_ipv4(address):
    if address.version != 6:
        return []
    embedded = [address.sixtofour] if address.sixtofour else []
    if address.teredo:
        embedded.extend(address.teredo)
    if address in NAT64:
        embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return embedded


def _own_kind(address):
    if (address.is_loopback or address.is_link_local or address.is_unspecified or address.is_multicast
            or address.is_reserved or getattr(address, "is_site_local", False)
            or any(address in net for net in LOCAL_NETWORKS)):
        return LOCAL
    if any(address in net for net in PRIVATE_NETWORKS):
        return PRIVATE
    return PUBLIC if address.is_global else LOCAL  # documentation, benchmarking, protocol ranges


def address_kind(address):
    """PUBLIC, PRIVATE or LOCAL; an address with an IPv4 one inside counts as the stricter of the two."""
    if address.version == 6 and address.ipv4_mapped:
        return _own_kind(address.ipv4_mapped)
    kinds = [_own_kind(address)] + [_own_kind(inner) for inner in _embedded_ipv4(address)]
    return LOCAL if LOCAL in kinds else PRIVATE if PRIVATE in kinds else PUBLIC


def port_allowed(port):
    return port in WEB_PORTS or (1024 <= port <= 65535 and port not in BLOCKED_PORTS)


def _split_host_port(entry):
    """`host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address → (host, port or None)."""
    entry = entry.strip().lower()
    port = None
    if entry.startswith("["):
        host, _bracket, rest = entry[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else None
    elif entry.count(":") == 1:
        host, port = entry.split(":")
    else:
        host = entry
    if port is not None and not port.isdigit():
        raise ImproperlyConfigured(f"WEBHOOK_ALLOWED_HOSTS: {entry!r} is not host or host:port")
    return host.rstrip("."), int(port) if port is not None else None


def _allow_listed(host, port):
    """None: not listed; "host": listed without a port (ports still checked); "port": listed with this port."""
    found = None
    for entry in settings.WEBHOOK_ALLOWED_HOSTS:
        listed_host, listed_port = _split_host_port(entry)
        if listed_host == host:
            if listed_port == port:
                return "port"
            if listed_port is None:
                found = "host"
    return found


def _addresses(host, port):
    """Every address `host` stands for: literals as written (numeric forms read as resolvers do), names resolved.

    Raises Refused for an invalid host and socket.gaierror when a name does not resolve.
    """
    if ":" in host:
        try:
            return (ipaddress.IPv6Address(host),)
        except ValueError:
            raise Refused("host") from None
    literal = legacy_ipv4(host)
    if literal is not None:
        return (literal,)
    if host == "localhost" or host.endswith(".localhost"):
        return (ipaddress.ip_address("127.0.0.1"),)
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except UnicodeError:  # a label the IDNA codec cannot encode
        raise Refused("host") from None
    found = []
    for *_rest, sockaddr in answers:
        address = ipaddress.ip_address(sockaddr[0].split("%")[0])
        if address not in found:
            found.append(address)
    return tuple(found)


def destination_check(url):
    """The Destination `url` may be sent to; raises Refused, or socket.gaierror when its host does not resolve."""
    if any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in url):
        raise Refused("host")
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. unbalanced brackets
        raise Refused("host") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise Refused("scheme")
    if "@" in parts.netloc:
        raise Refused("userinfo")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise Refused("host")
    try:
        port = parts.port
    except ValueError:
        raise Refused("port", port=parts.netloc.rpartition(":")[2][:10]) from None
    if port is None:  # not `or`: port 0 is written, and refused
        port = 443 if scheme == "https" else 80
    listed = _allow_listed(host, port)
    if listed != "port" and not port_allowed(port):
        raise Refused("port", port=port)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if listed:
        return Destination(scheme, host, port, target, ())
    addresses = _addresses(host, port)
    allowed = (PUBLIC, PRIVATE) if settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS else (PUBLIC,)
    for address in addresses:
        kind = address_kind(address)
        if kind not in allowed:
            raise Refused(kind, address=address)
    if not addresses:
        raise socket.gaierror(socket.EAI_NONAME, "no address")
    return Destination(scheme, host, port, target, addresses)


def _connect_checked(addresses, address, timeout=None, source_address=None):
    """socket.create_connection to the checked addresses in turn, never to a fresh answer for the name."""
    error = None
    for checked in addresses:
        try:
            return socket.create_connection((str(checked), address[1]), timeout, source_address)
        except OSError as failure:
            error = failure
    raise error


def webhook_post(url, *, body, headers, timeout):
    """POST `body` to `url` after destination_check; returns the 2xx status.

    Raises Refused for a destination that is not allowed or a 3xx (terminal), ValueError for an error status or
    an unreachable host (worth retrying).
    """
    try:
        destination = destination_check(url)
        if destination.scheme == "https":
            connection = http.client.HTTPSConnection(destination.host, destination.port, timeout=timeout,
                                                     context=ssl.create_default_context())
        else:
            connection = http.client.HTTPConnection(destination.host, destination.port, timeout=timeout)
        if destination.addresses:
            # TLS still checks the certificate against the host name (server_hostname is the host, not an address).
            connection._create_connection = partial(_connect_checked, destination.addresses)
        try:
            connection.request("POST", destination.target, body=body, headers=headers)
            response = connection.getresponse()
            response.read(1024)
        finally:
            connection.close()
    except (OSError, http.client.HTTPException) as error:  # DNS, refused or reset connections, TLS, timeouts
        raise ValueError(f"webhook unreachable: {error}") from error
    if 300 <= response.status < 400:
        raise Refused("redirect", status=response.status)
    if not 200 <= response.status < 300:
        raise ValueError(f"HTTP {response.status} from the webhook")
    return response.status
