"""The real client address behind a reverse proxy (nginx, a load balancer).

Only a proxy listed in ``[server] trusted_proxies`` may say who the client is: from such a peer the address is
taken from ``X-Forwarded-For``, the right-most entry that is not itself a trusted proxy (the left ones can be
forged by the client). From anyone else the header is ignored. Logs and rate decisions then see the client.
"""

from __future__ import annotations

import ipaddress

from aiohttp import web


def _networks(entries: list[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(e, strict=False) for e in entries]


def _trusted(addr: str | None, nets) -> bool:
    if not addr:
        return False
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return False
    return any(ip in n for n in nets)


def real_ip_middleware(trusted_proxies: list[str]):
    nets = _networks(trusted_proxies)

    @web.middleware
    async def real_ip(request: web.Request, handler):
        if nets and _trusted(request.remote, nets):
            hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
            for hop in reversed(hops):
                if not _trusted(hop, nets):
                    try:
                        ipaddress.ip_address(hop)
                    except ValueError:
                        break  # garbage: keep the proxy's own address
                    request = request.clone(remote=hop)
                    break
        return await handler(request)

    return real_ip
