/* SPDX-License-Identifier: MIT */
#include <rhenium/string.h>
#include <rhenium/vswitch.h>

struct vswitch_port {
	uint8_t mac[VSWITCH_ETH_ALEN];
	vswitch_deliver_fn deliver;
	void *ctx;
	struct vswitch_port_stats stats;
};

static struct vswitch_port vswitch_ports[VSWITCH_MAX_PORTS];
static unsigned int vswitch_port_count;

int vswitch_attach(const uint8_t mac[VSWITCH_ETH_ALEN], vswitch_deliver_fn deliver, void *ctx)
{
	struct vswitch_port *p;

	if (vswitch_port_count == VSWITCH_MAX_PORTS || !deliver || (mac[0] & 1))
		return -1;
	for (unsigned int i = 0; i < vswitch_port_count; i++) {
		if (!memcmp(vswitch_ports[i].mac, mac, VSWITCH_ETH_ALEN))
			return -1;
	}
	p = &vswitch_ports[vswitch_port_count];
	memset(p, 0, sizeof(*p));
	memcpy(p->mac, mac, VSWITCH_ETH_ALEN);
	p->deliver = deliver;
	p->ctx = ctx;
	return (int)vswitch_port_count++;
}

void vswitch_send(int port, const uint8_t *frame, size_t len)
{
	struct vswitch_port *src;
	const uint8_t *dst_mac = frame, *src_mac = frame + VSWITCH_ETH_ALEN;
	bool group = dst_mac[0] & 1; /* broadcast and multicast (IEEE 802 I/G bit) */
	bool delivered = false;

	if (port < 0 || (unsigned int)port >= vswitch_port_count || len < VSWITCH_ETH_HLEN)
		return;
	src = &vswitch_ports[port];
	if (memcmp(src_mac, src->mac, VSWITCH_ETH_ALEN)) {
		__atomic_fetch_add(&src->stats.spoofed, 1, __ATOMIC_RELAXED);
		return;
	}
	__atomic_fetch_add(&src->stats.sent, 1, __ATOMIC_RELAXED);
	for (unsigned int i = 0; i < vswitch_port_count; i++) {
		struct vswitch_port *dst = &vswitch_ports[i];

		if (dst == src || (!group && memcmp(dst_mac, dst->mac, VSWITCH_ETH_ALEN)))
			continue;
		dst->deliver(dst->ctx, frame, len);
		delivered = true;
	}
	if (!group && !delivered)
		__atomic_fetch_add(&src->stats.unknown_dest, 1, __ATOMIC_RELAXED);
}

const struct vswitch_port_stats *vswitch_stats(int port)
{
	if (port < 0 || (unsigned int)port >= vswitch_port_count)
		return NULL;
	return &vswitch_ports[port].stats;
}

void vswitch_reset(void)
{
	memset(vswitch_ports, 0, sizeof(vswitch_ports));
	vswitch_port_count = 0;
}
