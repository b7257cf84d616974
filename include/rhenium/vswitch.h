/* SPDX-License-Identifier: MIT */
/*
 * The virtual Ethernet switch inside Rhenium that connects the VMs' virtio-net
 * devices: no service VM, no host network. Each port has a fixed MAC address
 * (the one its VM's device reports); a frame goes to the port owning its
 * destination address, broadcast and multicast go to every other port, and
 * anything else is dropped. A frame whose source address is not its port's
 * own is dropped too, so a VM cannot impersonate another.
 *
 * Ports are attached while VMs are built, before any guest runs; sending is
 * lock-free over that fixed table, and delivery is the receiving device's
 * business (its deliver callback takes its own locks).
 */
#ifndef RHENIUM_VSWITCH_H
#define RHENIUM_VSWITCH_H

#include <rhenium/types.h>

#define VSWITCH_MAX_PORTS 8u
#define VSWITCH_ETH_ALEN 6u
#define VSWITCH_ETH_HLEN 14u

struct vswitch_port_stats {
	uint64_t sent;	       /* frames accepted from this port */
	uint64_t spoofed;      /* dropped: wrong source address */
	uint64_t unknown_dest; /* dropped: unicast to an address no port has */
};

typedef void (*vswitch_deliver_fn)(void *ctx, const uint8_t *frame, size_t len);

/* Adds a port; returns its number, or -1 if the switch is full or the address is taken. */
int vswitch_attach(const uint8_t mac[VSWITCH_ETH_ALEN], vswitch_deliver_fn deliver, void *ctx);
/* Sends one frame (at least VSWITCH_ETH_HLEN bytes) from `port`. */
void vswitch_send(int port, const uint8_t *frame, size_t len);
const struct vswitch_port_stats *vswitch_stats(int port);
/* Detaches every port (host unit tests). */
void vswitch_reset(void);

#endif
