/* SPDX-License-Identifier: MIT */
/*
 * virtio-net without offloads (VIRTIO 1.2 5.1): queue 0 receives, queue 1
 * transmits, each buffer starts with a 12-byte struct virtio_net_hdr that we
 * ignore on transmit (no offload was negotiated, so it holds nothing) and
 * write as zeroes with num_buffers = 1 on receive (5.1.6.3.2).
 */
#include <rhenium/string.h>
#include <rhenium/virtio.h>
#include <rhenium/virtio_net.h>

#define VIRTIO_NET_RX 0u
#define VIRTIO_NET_TX 1u
#define VIRTIO_NET_CONFIG_SIZE 8u /* mac[6], status */
#define VIRTIO_NET_HDR_NUM_BUFFERS 10u

static int virtio_net_config_read(void *ctx, uint64_t offset, unsigned int size, uint64_t *value)
{
	struct virtio_net *net = ctx;
	uint8_t config[VIRTIO_NET_CONFIG_SIZE];
	uint16_t status = VIRTIO_NET_S_LINK_UP;

	if (offset >= VIRTIO_NET_CONFIG_SIZE || size > VIRTIO_NET_CONFIG_SIZE - offset)
		return -1;
	memcpy(config, net->mac, VSWITCH_ETH_ALEN);
	memcpy(config + VSWITCH_ETH_ALEN, &status, 2);
	*value = 0;
	memcpy(value, config + offset, size);
	return 0;
}

static void virtio_net_transmit(struct virtio_net *net, struct virtio_mmio *t)
{
	struct virtq_chain *chain;
	unsigned int budget = t->queue[VIRTIO_NET_TX].num;
	bool any = false;

	while (budget-- && (chain = virtio_mmio_pop(t, VIRTIO_NET_TX))) {
		uint64_t len = chain->readable_len;

		any = true;
		if (len < VIRTIO_NET_HDR_SIZE + VSWITCH_ETH_HLEN ||
		    len > VIRTIO_NET_HDR_SIZE + VIRTIO_NET_FRAME_MAX) {
			net->stats.tx_dropped++;
		} else {
			len -= VIRTIO_NET_HDR_SIZE;
			/* Copied first: the guest may rewrite its buffer while the switch reads it. */
			virtq_chain_read(chain, VIRTIO_NET_HDR_SIZE, net->frame, len);
			net->stats.tx_packets++;
			net->stats.tx_bytes += len;
			/* Our transmit lock stays held while the switch takes receive locks. */
			vswitch_send(net->port, net->frame, len);
		}
		virtio_mmio_push(t, VIRTIO_NET_TX, chain->head, 0);
	}
	if (any)
		virtio_mmio_signal(t, VIRTIO_NET_TX);
}

static void virtio_net_notify(void *ctx, struct virtio_mmio *t, unsigned int index)
{
	/* Fresh receive buffers need no action: frames arrive by virtio_net_receive(). */
	if (index == VIRTIO_NET_TX)
		virtio_net_transmit(ctx, t);
}

void virtio_net_receive(void *ctx, const uint8_t *frame, size_t len)
{
	struct virtio_net *net = ctx;
	struct virtio_mmio *t = &net->transport;
	uint8_t hdr[VIRTIO_NET_HDR_SIZE] = { 0 };
	uint16_t num_buffers = 1;
	struct virtq_chain *chain;

	memcpy(hdr + VIRTIO_NET_HDR_NUM_BUFFERS, &num_buffers, 2);
	virtio_mmio_queue_lock(t, VIRTIO_NET_RX);
	chain = virtio_mmio_pop(t, VIRTIO_NET_RX);
	if (!chain) {
		__atomic_fetch_add(&net->stats.rx_dropped, 1, __ATOMIC_RELAXED);
	} else if (chain->writable_len < VIRTIO_NET_HDR_SIZE + len) {
		/* The buffer goes back empty, so the driver can recycle it. */
		__atomic_fetch_add(&net->stats.rx_dropped, 1, __ATOMIC_RELAXED);
		virtio_mmio_push(t, VIRTIO_NET_RX, chain->head, 0);
		virtio_mmio_signal(t, VIRTIO_NET_RX);
	} else {
		virtq_chain_write(chain, 0, hdr, sizeof(hdr));
		virtq_chain_write(chain, VIRTIO_NET_HDR_SIZE, frame, len);
		net->stats.rx_packets++;
		net->stats.rx_bytes += len;
		virtio_mmio_push(t, VIRTIO_NET_RX, chain->head,
				 (uint32_t)(VIRTIO_NET_HDR_SIZE + len));
		virtio_mmio_signal(t, VIRTIO_NET_RX);
	}
	virtio_mmio_queue_unlock(t, VIRTIO_NET_RX);
}

static const struct virtio_mmio_device virtio_net_device = {
	.name = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.num_queues = 2,
	.features = (1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_STATUS),
	.config_read = virtio_net_config_read,
	.config_write = NULL,
	.queue_notify = virtio_net_notify,
	.reset = NULL,
};

int virtio_net_init(struct virtio_net *net, const char *owner, const struct virtq_guest_mem *mem,
		    const uint8_t mac[VSWITCH_ETH_ALEN], void (*set_irq)(void *irq_ctx, bool level),
		    void *irq_ctx)
{
	memset(net, 0, sizeof(*net));
	memcpy(net->mac, mac, VSWITCH_ETH_ALEN);
	virtio_mmio_init(&net->transport, &virtio_net_device, net, owner, mem, set_irq, irq_ctx);
	net->port = vswitch_attach(mac, virtio_net_receive, net);
	return net->port < 0 ? -1 : 0;
}
