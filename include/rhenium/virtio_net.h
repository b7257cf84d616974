/* SPDX-License-Identifier: MIT */
/*
 * An emulated virtio network device (VIRTIO 1.2 section 5.1) plugged into
 * Rhenium's virtual switch (vswitch.h). Offers only MAC and STATUS (link
 * always up): no checksum offload, no segmentation offload, no mergeable
 * receive buffers, so every frame is a complete Ethernet frame of at most
 * VIRTIO_NET_FRAME_MAX bytes that fits one receive chain. Received frames are
 * copied into the receiving VM's buffers; a VM without free receive buffers
 * drops them, as a NIC would.
 */
#ifndef RHENIUM_VIRTIO_NET_H
#define RHENIUM_VIRTIO_NET_H

#include <rhenium/virtio_mmio.h>
#include <rhenium/vswitch.h>

#define VIRTIO_NET_HDR_SIZE 12u	   /* struct virtio_net_hdr with num_buffers (VERSION_1) */
#define VIRTIO_NET_FRAME_MAX 1518u /* 1500-byte MTU, Ethernet header, one VLAN tag */

struct virtio_net_stats {
	uint64_t tx_packets;
	uint64_t tx_bytes;
	uint64_t tx_dropped; /* malformed or oversized frames from the guest */
	uint64_t rx_packets;
	uint64_t rx_bytes;
	uint64_t rx_dropped; /* no receive buffer, buffer too small, or device not running */
};

struct virtio_net {
	struct virtio_mmio transport;
	uint8_t mac[VSWITCH_ETH_ALEN];
	int port;
	uint8_t frame[VIRTIO_NET_FRAME_MAX]; /* transmit scratch, under the transmit queue's lock */
	struct virtio_net_stats stats;
};

/* Sets the device up and attaches it to the switch; -1 if the switch refused the port. */
int virtio_net_init(struct virtio_net *net, const char *owner, const struct virtq_guest_mem *mem,
		    const uint8_t mac[VSWITCH_ETH_ALEN], void (*set_irq)(void *irq_ctx, bool level),
		    void *irq_ctx);
/* A frame from the switch (the vswitch deliver callback; ctx is the struct virtio_net *). */
void virtio_net_receive(void *ctx, const uint8_t *frame, size_t len);

#endif
