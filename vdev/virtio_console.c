/* SPDX-License-Identifier: MIT */
/*
 * virtio console, single port (VIRTIO 1.2 5.3). Without
 * VIRTIO_CONSOLE_F_MULTIPORT there are exactly two queues, receiveq (0) and
 * transmitq (1), and no control messages.
 */
#include <rhenium/string.h>
#include <rhenium/virtio.h>
#include <rhenium/virtio_console.h>

#define VIRTIO_CONSOLE_RX 0u
#define VIRTIO_CONSOLE_TX 1u
#define VIRTIO_CONSOLE_CONFIG_SIZE 12u /* cols, rows, max_nr_ports, emerg_wr */

static int virtio_console_config_read(void *ctx, uint64_t offset, unsigned int size,
				      uint64_t *value)
{
	(void)ctx;
	/* No SIZE, MULTIPORT or EMERG_WRITE: every field is meaningless and reads as zero. */
	if (offset + size > VIRTIO_CONSOLE_CONFIG_SIZE)
		return -1;
	*value = 0;
	return 0;
}

static void virtio_console_transmit(struct virtio_console *con, struct virtio_mmio *t)
{
	struct virtq_chain *chain;
	bool done = false;

	while ((chain = virtio_mmio_pop(t, VIRTIO_CONSOLE_TX))) {
		for (unsigned int i = 0; i < chain->readable; i++) {
			if (con->output)
				con->output(con->output_ctx, chain->buf[i].va, chain->buf[i].len);
			con->tx_bytes += chain->buf[i].len;
		}
		virtio_mmio_push(t, VIRTIO_CONSOLE_TX, chain->head, 0);
		done = true;
	}
	if (done)
		virtio_mmio_signal(t, VIRTIO_CONSOLE_TX);
}

static void virtio_console_notify(void *ctx, struct virtio_mmio *t, unsigned int index)
{
	/* New receive buffers need no action: input is delivered when it arrives. */
	if (index == VIRTIO_CONSOLE_TX)
		virtio_console_transmit(ctx, t);
}

static const struct virtio_mmio_device virtio_console_device = {
	.name = "virtio-console",
	.device_id = VIRTIO_ID_CONSOLE,
	.num_queues = 2,
	.features = 0,
	.config_read = virtio_console_config_read,
	.config_write = NULL,
	.queue_notify = virtio_console_notify,
	.reset = NULL,
};

void virtio_console_init(struct virtio_console *con, const char *owner,
			 const struct virtq_guest_mem *mem,
			 void (*set_irq)(void *irq_ctx, bool level), void *irq_ctx,
			 void (*output)(void *ctx, const uint8_t *buf, size_t len),
			 void *output_ctx)
{
	memset(con, 0, sizeof(*con));
	con->output = output;
	con->output_ctx = output_ctx;
	virtio_mmio_init(&con->transport, &virtio_console_device, con, owner, mem, set_irq,
			 irq_ctx);
}

bool virtio_console_ready(const struct virtio_console *con)
{
	return virtio_mmio_live(&con->transport) &&
	       __atomic_load_n(&con->transport.queue[VIRTIO_CONSOLE_RX].ready, __ATOMIC_RELAXED);
}

size_t virtio_console_receive(struct virtio_console *con, const uint8_t *buf, size_t len)
{
	struct virtio_mmio *t = &con->transport;
	struct virtq_chain *chain;
	size_t taken = 0;
	bool pushed = false;

	virtio_mmio_queue_lock(t, VIRTIO_CONSOLE_RX);
	while (taken < len && (chain = virtio_mmio_pop(t, VIRTIO_CONSOLE_RX))) {
		size_t n = virtq_chain_write(chain, 0, buf + taken, len - taken);

		virtio_mmio_push(t, VIRTIO_CONSOLE_RX, chain->head, (uint32_t)n);
		pushed = true;
		taken += n;
	}
	if (pushed)
		virtio_mmio_signal(t, VIRTIO_CONSOLE_RX);
	con->rx_bytes += taken;
	virtio_mmio_queue_unlock(t, VIRTIO_CONSOLE_RX);
	return taken;
}
