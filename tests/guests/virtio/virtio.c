// SPDX-License-Identifier: MIT
/*
 * virtio: the virtio-mmio devices a hypervisor emulates for its VMs, driven
 * the way the VIRTIO 1.2 specification says a driver must, and in the ways it
 * says a driver must not (virtio-v1.2-cs01: 2.1 device status, 2.7 split
 * virtqueues, 4.2 the MMIO transport, 5.2 block, 5.3 console).
 *
 * The VM it runs in has (Rhenium manifest: devices = "pl011",
 * "virtio-console", "virtio-blk"; a `disk` region):
 *   slot 0, 0x0a000000, INTID 48: virtio-console (receiveq 0, transmitq 1);
 *   slot 1, 0x0a000200, INTID 49: virtio-blk, one request queue;
 *   slot 2, 0x0a000400: nothing (no virtio-net in the manifest).
 * Natively there is no such device (QEMU virt's transports at those
 * addresses are empty: QEMU fills them from slot 31 down), so this guest is
 * not in the native list: it lives in a subdirectory, like the misbehaving
 * guests.
 *
 * A driver error the device cannot answer inside the protocol (a ring,
 * table or buffer outside guest RAM, a head or next index out of range, a
 * loop, a chain of more buffers than the queue or any limit allows, a
 * malformed indirect table, the device-readable/-writable order broken, the
 * available index running more than a queue ahead) must put the device into
 * NEEDS_RESET (2.1.2: the
 * device sets DEVICE_NEEDS_RESET and, with DRIVER_OK set, sends a
 * configuration change notification): Status reads back bit 0x40 and
 * InterruptStatus bit 1. The device then does nothing until the driver
 * writes 0 to Status, after which a normal initialisation and a request
 * work again. Each such case is one malformed submission followed by that
 * recovery. A block request the device can answer (beyond the capacity, an
 * unknown type, a length that is not whole sectors) gets a status byte
 * instead (VIRTIO_BLK_S_IOERR / _UNSUPP) and the device stays usable.
 * Driver errors whose right answer the contract does not pin down (queue
 * sizes that are 0, not a power of two or above QueueNumMax, misaligned
 * rings, a notification for a queue that does not exist, a header that is
 * too short, no device-writable byte) only have to leave the hypervisor
 * running and the device recoverable by a reset; what happened is printed.
 *
 * Good paths: console output (the test sees the strings on Rhenium's
 * console), block reads, writes, flushes and GET_ID, any framing of a
 * request over descriptors (2.7.4: the device must not assume one), direct
 * chains ending in an indirect descriptor (2.7.5.3.2), buffers and rings
 * that cross 2 MiB boundaries of guest RAM (where a hypervisor that backs
 * RAM with separate blocks must split them), a full ring in one
 * notification, the 16-bit ring indices wrapping, and the used-buffer
 * interrupt at the GIC. Registers: identification, QueueNumMax of a queue
 * that does not exist, feature refusal, and accesses of a size other than
 * 32 bits outside the configuration space (refused: a synchronous external
 * abort).
 *
 * The MMU stays off, so every access is Device-nGnRnE and must be aligned;
 * the rings and buffers are ordinary static arrays (IPA = VA), and DSBs
 * order ring updates against the notification and the used ring against our
 * reads. Completion is polled with a timeout; interrupts are used once.
 *
 * Bootargs: `disk-sectors=N` (the region's size in sectors, checked against
 * the capacity); `disk-pattern` (the region was prepared by the test: every
 * sector holds pattern A below, so reads can be checked against it). The
 * guest prints `# disk: sectors written: ...` so the test can check the
 * image file afterwards: those sectors hold pattern B, all others pattern A.
 * `con-slot=N blk-slot=N` move the devices to other transports, to run the
 * guest natively against QEMU's own virtio-mmio devices (which fill the
 * transports from slot 31 down) and so check the guest itself:
 *
 *   qemu-system-aarch64 -M virt,gic-version=3 -cpu max -m 256M -nographic \
 *     -global virtio-mmio.force-legacy=false \
 *     -device virtio-serial-device -device virtconsole,chardev=... \
 *     -drive file=disk.img,if=none,format=raw,id=d0 -device virtio-blk-device,drive=d0 \
 *     -kernel build/guests/virtio/virtio.bin -append "con-slot=31 blk-slot=30 native"
 *
 * There the checks that are Rhenium's contract rather than the
 * specification's (level-triggered interrupts in the DT, NEEDS_RESET for
 * every case, refused narrow accesses) fail; `native` skips the cases that
 * point the device at MMIO, which QEMU's devices really access (one at its
 * own registers hangs QEMU 10).
 */
#include "gic.h"
#include "guest.h"
#include "timer.h"

const char guest_name[] = "virtio";

extern char __image_start[], __image_end[];

/* ---------------------------------------------------------------- spec constants */
/*
 * Written out from the specification here rather than shared with the
 * hypervisor, so that a wrong constant on one side shows up as a failure.
 */
#define SLOT_BASE(n) (0x0a000000UL + (n)*0x200UL)
#define SLOT_INTID(n) (48U + (n))

#define R_MAGIC 0x000
#define R_VERSION 0x004
#define R_DEVICE_ID 0x008
#define R_VENDOR_ID 0x00c
#define R_DEV_FEATURES 0x010
#define R_DEV_FEATURES_SEL 0x014
#define R_DRV_FEATURES 0x020
#define R_DRV_FEATURES_SEL 0x024
#define R_QUEUE_SEL 0x030
#define R_QUEUE_NUM_MAX 0x034
#define R_QUEUE_NUM 0x038
#define R_QUEUE_READY 0x044
#define R_QUEUE_NOTIFY 0x050
#define R_ISR 0x060
#define R_ISR_ACK 0x064
#define R_STATUS 0x070
#define R_DESC_LO 0x080
#define R_DESC_HI 0x084
#define R_DRIVER_LO 0x090
#define R_DRIVER_HI 0x094
#define R_DEVICE_LO 0x0a0
#define R_DEVICE_HI 0x0a4
#define R_CONFIG_GEN 0x0fc
#define R_CONFIG 0x100

#define MMIO_MAGIC 0x74726976U /* "virt" */
#define ISR_USED 1U
#define ISR_CONFIG 2U

#define S_ACKNOWLEDGE 1U
#define S_DRIVER 2U
#define S_DRIVER_OK 4U
#define S_FEATURES_OK 8U
#define S_NEEDS_RESET 0x40U
#define S_FAILED 0x80U

#define F_INDIRECT_DESC (1ULL << 28)
#define F_EVENT_IDX (1ULL << 29)
#define F_VERSION_1 (1ULL << 32)
#define F_RING_PACKED (1ULL << 34)
#define F_IN_ORDER (1ULL << 35)

#define BLK_F_SIZE_MAX (1ULL << 1)
#define BLK_F_SEG_MAX (1ULL << 2)
#define BLK_F_RO (1ULL << 5)
#define BLK_F_BLK_SIZE (1ULL << 6)
#define BLK_F_FLUSH (1ULL << 9)
#define BLK_F_MQ (1ULL << 12)

#define BLK_CFG_CAPACITY 0x00
#define BLK_CFG_SEG_MAX 0x0c
#define BLK_CFG_BLK_SIZE 0x14

#define BLK_T_IN 0U
#define BLK_T_OUT 1U
#define BLK_T_FLUSH 4U
#define BLK_T_GET_ID 8U
#define BLK_S_OK 0
#define BLK_S_IOERR 1
#define BLK_S_UNSUPP 2
#define BLK_ID_BYTES 20U
#define SECTOR 512U

#define D_NEXT 1U
#define D_WRITE 2U
#define D_INDIRECT 4U
#define AVAIL_F_NO_INTERRUPT 1U

#define ID_BLOCK 2U
#define ID_CONSOLE 3U

/* ---------------------------------------------------------------- test parameters */
#define QSZ 8U /* the queue size we use: a power of two well below QueueNumMax */
#define TIMEOUT_US 1000000ULL
#define QUIET_US 20000ULL /* how long "nothing happens" is watched */
#define TWO_MIB 0x200000UL
#define SCRATCH_HALF 0x10000UL /* each scratch point owns [B - 64 KiB, B + 64 KiB) */
#define MAX_SCRATCH 8

struct vdev {
	const char *name;
	uintptr_t base;
	unsigned intid;
	uint64_t offered, want;
};

/* A split virtqueue: where we build it, and what the device is told. */
struct vq {
	struct vdev *dev;
	unsigned index;
	uint32_t num;				/* written to QueueNum */
	uintptr_t desc, avail, used;		/* our view */
	uint64_t desc_dev, avail_dev, used_dev; /* the device's */
	uint16_t next_avail, last_used;
};

struct seg {
	uint64_t addr;
	uint32_t len;
	uint16_t flags; /* D_WRITE / D_INDIRECT; D_NEXT is added by chain_put */
};

/* What became of one submission. */
struct res {
	bool done;
	uint32_t id, len, isr;
	int status; /* the status byte, -1 if there is none */
};

static struct vdev con = { "console", SLOT_BASE(0), SLOT_INTID(0), 0, 0 };
static struct vdev blk = { "blk", SLOT_BASE(1), SLOT_INTID(1), 0, 0 };
static struct vq rxq, txq, blkq;

static uint8_t ring_mem[3][4096] __attribute__((aligned(4096)));
static uint8_t data[16 * SECTOR] __attribute__((aligned(4096)));
static uint8_t data2[16 * SECTOR] __attribute__((aligned(4096)));
static uint8_t sector0[SECTOR];
static uint8_t hdrs[QSZ][16] __attribute__((aligned(16)));
static uint8_t stat[64] __attribute__((aligned(16)));
static uint8_t itab[256 * 16] __attribute__((aligned(16))); /* indirect tables */
static uint8_t itab2[16 * 16] __attribute__((aligned(16))); /* a second table */
static uint8_t idbuf[32] __attribute__((aligned(16)));
static uint8_t rxbuf[2][64] __attribute__((aligned(16)));
static char txtext[128] __attribute__((aligned(16)));

static uint64_t ram_base, ram_end;
static uint64_t capacity, disk_sectors_arg;
static uint32_t seg_max, blk_nummax;
static bool pattern_known, getid_ok, native;
static uintptr_t scratch[MAX_SCRATCH];
static unsigned nscratch;

/* ---------------------------------------------------------------- helpers */
static uintptr_t addr_of(const void *p)
{
	return (uintptr_t)p;
}

static uint32_t rd(const struct vdev *d, unsigned off)
{
	return readl(d->base + off);
}

static void wr(const struct vdev *d, unsigned off, uint32_t v)
{
	writel(v, d->base + off);
}

static bool before(uint64_t deadline)
{
	return timer_count() < deadline;
}

static uint64_t deadline_us(uint64_t us)
{
	return timer_count() + timer_ticks_from_us(us);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Value of "name=<decimal>" in the bootargs, or dflt. */
static uint64_t arg_u64(const char *name, uint64_t dflt)
{
	size_t n = strlen(name);

	for (const char *p = guest_bootargs(); *p; p++) {
		if ((p == guest_bootargs() || p[-1] == ' ') && strncmp(p, name, n) == 0 &&
		    p[n] == '=') {
			uint64_t v = 0;

			for (p += n + 1; *p >= '0' && *p <= '9'; p++)
				v = v * 10 + (uint64_t)(*p - '0');
			return v;
		}
	}
	return dflt;
}

/*
 * Sector contents. Pattern A is what the test writes into the region
 * before the run (the sector's number, scrambled, in its first 8 bytes so a
 * misplaced sector is told from the right one); pattern B = A ^ 0xa5 is what
 * this guest writes. tests/system/test_virtio_guest.py has the same two.
 */
static uint8_t pattern(uint64_t s, unsigned i, bool b)
{
	uint8_t v = i < 8 ? (uint8_t)((s * 0x9e3779b97f4a7c15ULL) >> (8 * i))
			  : (uint8_t)(s * 31 + i * 7 + 0x11);

	return b ? (uint8_t)(v ^ 0xa5) : v;
}

static void fill(uintptr_t buf, uint64_t s0, unsigned nsect, bool b)
{
	uint8_t *p = (uint8_t *)buf;

	for (unsigned s = 0; s < nsect; s++)
		for (unsigned i = 0; i < SECTOR; i++)
			p[s * SECTOR + i] = pattern(s0 + s, i, b);
}

static bool matches(uintptr_t buf, uint64_t s0, unsigned nsect, bool b)
{
	const uint8_t *p = (const uint8_t *)buf;

	dsb(sy);
	for (unsigned s = 0; s < nsect; s++)
		for (unsigned i = 0; i < SECTOR; i++)
			if (p[s * SECTOR + i] != pattern(s0 + s, i, b)) {
				diag("sector %lu byte %u: 0x%x, expected 0x%x", s0 + s, i,
				     p[s * SECTOR + i], pattern(s0 + s, i, b));
				return false;
			}
	return true;
}

/* What the guest wrote, for the test's check of the image file. */
struct sectors {
	uint64_t first, count;
};
static struct sectors written[16];
static unsigned nwritten;

static void record_write(uint64_t s, uint64_t n)
{
	if (nwritten && written[nwritten - 1].first + written[nwritten - 1].count == s)
		written[nwritten - 1].count += n;
	else if (nwritten < ARRAY_SIZE(written))
		written[nwritten++] = (struct sectors){ s, n };
}

/* ---------------------------------------------------------------- virtqueues */
static void vq_default(struct vq *q, struct vdev *d, unsigned index, uint8_t *mem)
{
	q->dev = d;
	q->index = index;
	q->num = QSZ;
	q->desc = addr_of(mem);
	q->avail = addr_of(mem) + 0x400;
	q->used = addr_of(mem) + 0x800;
	q->desc_dev = q->desc;
	q->avail_dev = q->avail;
	q->used_dev = q->used;
	q->next_avail = 0;
	q->last_used = 0;
}

static void desc_put(uintptr_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	uintptr_t d = table + 16 * i;

	writeq(addr, d);
	writel(len, d + 8);
	writew(flags, d + 12);
	writew(next, d + 14);
}

/* Descriptors first..first+n-1 of table, chained in order. */
static void chain_put(uintptr_t table, unsigned first, const struct seg *s, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		desc_put(table, first + i, s[i].addr, s[i].len,
			 (uint16_t)(s[i].flags | (i + 1 < n ? D_NEXT : 0)),
			 (uint16_t)(first + i + 1));
}

static void avail_push(struct vq *q, uint16_t head)
{
	writew(head, q->avail + 4 + 2 * (q->next_avail % QSZ));
	q->next_avail++;
}

/* 2.7.13: descriptors and ring entries are visible before idx, idx before the notification. */
static void avail_publish(struct vq *q)
{
	dsb(sy);
	writew(q->next_avail, q->avail + 2);
	dsb(sy);
}

static void vq_notify(struct vq *q)
{
	dsb(sy);
	wr(q->dev, R_QUEUE_NOTIFY, q->index);
}

static void vq_kick(struct vq *q, uint16_t head)
{
	avail_push(q, head);
	avail_publish(q);
	vq_notify(q);
}

static uint16_t used_idx(const struct vq *q)
{
	dsb(sy);
	return readw(q->used + 2);
}

static bool vq_wait(struct vq *q, uint32_t *id, uint32_t *len, uint64_t timeout_us)
{
	uint64_t end = deadline_us(timeout_us);

	while (used_idx(q) == q->last_used)
		if (!before(end))
			return false;
	dsb(sy);
	uintptr_t e = q->used + 4 + 8 * (q->last_used % QSZ);
	*id = readl(e);
	*len = readl(e + 4);
	q->last_used++;
	return true;
}

/* Nothing appears in the used ring for QUIET_US. */
static bool vq_quiet(const struct vq *q)
{
	uint64_t end = deadline_us(QUIET_US);

	while (before(end))
		if (used_idx(q) != q->last_used)
			return false;
	return true;
}

static uint32_t isr_ack(const struct vdev *d)
{
	uint32_t isr = rd(d, R_ISR);

	if (isr)
		wr(d, R_ISR_ACK, isr);
	return isr;
}

#define ISR_WAIT_US 100000u

static struct res finish(struct vq *q, uintptr_t status_addr)
{
	struct res r = { .status = -1 };

	r.done = vq_wait(q, &r.id, &r.len, TIMEOUT_US);
	if (status_addr)
		r.status = readb(status_addr);
	/*
	 * 2.7.14: the used-buffer notification follows the used ring update, and
	 * a device completing on another CPU may still be on its way to send it.
	 */
	if (r.done) {
		uint64_t end = deadline_us(ISR_WAIT_US);

		while (!(rd(q->dev, R_ISR) & ISR_USED) && before(end))
			;
	}
	r.isr = isr_ack(q->dev);
	return r;
}

static void diag_res(const char *what, struct res r)
{
	diag("%s: %s, id %u, len %u, status %d, InterruptStatus 0x%x", what,
	     r.done ? "used" : "not used", r.id, r.len, r.status, r.isr);
}

/* ---------------------------------------------------------------- device set-up */
static uint32_t wait_status(const struct vdev *d, uint32_t mask, uint32_t want, uint64_t us)
{
	uint64_t end = deadline_us(us);
	uint32_t st;

	while (((st = rd(d, R_STATUS)) & mask) != want && before(end))
		;
	return st;
}

static uint32_t dev_reset(const struct vdev *d)
{
	wr(d, R_STATUS, 0);
	return wait_status(d, 0xff, 0, TIMEOUT_US);
}

/* Status is read-modify-written, as a driver that never clears a bit does (2.1.1). */
static void set_status(const struct vdev *d, uint32_t bits)
{
	wr(d, R_STATUS, rd(d, R_STATUS) | bits);
}

static uint64_t dev_features(const struct vdev *d)
{
	wr(d, R_DEV_FEATURES_SEL, 0);
	uint64_t lo = rd(d, R_DEV_FEATURES);
	wr(d, R_DEV_FEATURES_SEL, 1);
	return lo | (uint64_t)rd(d, R_DEV_FEATURES) << 32;
}

static bool dev_negotiate(const struct vdev *d, uint64_t features)
{
	wr(d, R_DRV_FEATURES_SEL, 0);
	wr(d, R_DRV_FEATURES, (uint32_t)features);
	wr(d, R_DRV_FEATURES_SEL, 1);
	wr(d, R_DRV_FEATURES, (uint32_t)(features >> 32));
	set_status(d, S_FEATURES_OK);
	return rd(d, R_STATUS) & S_FEATURES_OK;
}

static void vq_setup(struct vq *q)
{
	const struct vdev *d = q->dev;

	memset((void *)q->desc, 0, 16 * QSZ);
	memset((void *)q->avail, 0, 6 + 2 * QSZ);
	memset((void *)q->used, 0, 6 + 8 * QSZ);
	q->next_avail = 0;
	q->last_used = 0;
	wr(d, R_QUEUE_SEL, q->index);
	wr(d, R_QUEUE_NUM, q->num);
	wr(d, R_DESC_LO, (uint32_t)q->desc_dev);
	wr(d, R_DESC_HI, (uint32_t)(q->desc_dev >> 32));
	wr(d, R_DRIVER_LO, (uint32_t)q->avail_dev);
	wr(d, R_DRIVER_HI, (uint32_t)(q->avail_dev >> 32));
	wr(d, R_DEVICE_LO, (uint32_t)q->used_dev);
	wr(d, R_DEVICE_HI, (uint32_t)(q->used_dev >> 32));
	wr(d, R_QUEUE_READY, 1);
}

/*
 * 3.1.1 and 4.2.3: reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK,
 * queues, DRIVER_OK. Returns false if the device refused something; *early
 * is set (and DRIVER_OK left clear) if it entered NEEDS_RESET while its
 * queues were being set up, i.e. it checked the ring addresses at QueueReady.
 */
static bool dev_start(struct vdev *d, struct vq *const *qs, unsigned n, bool driver_ok, bool *early)
{
	*early = false;
	if (dev_reset(d) != 0)
		return false;
	set_status(d, S_ACKNOWLEDGE);
	set_status(d, S_DRIVER);
	if (!dev_negotiate(d, d->want))
		return false;
	for (unsigned i = 0; i < n; i++)
		vq_setup(qs[i]);
	if (rd(d, R_STATUS) & S_NEEDS_RESET) {
		*early = true;
		return true;
	}
	if (driver_ok)
		set_status(d, S_DRIVER_OK);
	return true;
}

static bool blk_start(bool *early)
{
	struct vq *qs[] = { &blkq };

	return dev_start(&blk, qs, 1, true, early);
}

static bool con_start(bool *early)
{
	struct vq *qs[] = { &rxq, &txq };

	return dev_start(&con, qs, 2, true, early);
}

static void blk_default(void)
{
	vq_default(&blkq, &blk, 0, ring_mem[0]);
}

static void con_default(void)
{
	vq_default(&rxq, &con, 0, ring_mem[1]);
	vq_default(&txq, &con, 1, ring_mem[2]);
}

/*
 * A good-path request finding its device in NEEDS_RESET (or not running)
 * restarts it first, so that one failure does not fail every check after it.
 */
static void ensure_running(struct vdev *d)
{
	const uint32_t running = S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK;
	uint32_t st = rd(d, R_STATUS);
	bool early;

	if (st == running)
		return;
	diag("%s: Status 0x%x, restarting the device", d->name, st);
	if (d == &blk) {
		blk_default();
		blk_start(&early);
	} else {
		con_default();
		con_start(&early);
	}
}

/* ---------------------------------------------------------------- block requests */
static void hdr_set(uintptr_t h, uint32_t type, uint64_t sector)
{
	writel(type, h);
	writel(0, h + 4);
	writeq(sector, h + 8);
}

/* One request at descriptor 0, submitted and waited for. */
static struct res blk_chain(const struct seg *s, unsigned n, uintptr_t status_addr)
{
	ensure_running(&blk);
	writeb(0xff, status_addr);
	chain_put(blkq.desc, 0, s, n);
	vq_kick(&blkq, 0);
	return finish(&blkq, status_addr);
}

/* Header, data (if len), status: the layout Linux uses. */
static struct res blk_io(uint32_t type, uint64_t sector, uintptr_t buf, uint32_t len)
{
	uintptr_t h = addr_of(hdrs[0]), st = addr_of(stat);
	struct seg s[3];
	unsigned n = 0;

	hdr_set(h, type, sector);
	s[n++] = (struct seg){ h, 16, 0 };
	if (len)
		s[n++] = (struct seg){ buf, len, type == BLK_T_OUT ? 0 : D_WRITE };
	s[n++] = (struct seg){ st, 1, D_WRITE };
	return blk_chain(s, n, st);
}

static bool blk_ok(struct res r)
{
	return r.done && r.status == BLK_S_OK;
}

static bool read_back(uint64_t s, unsigned n, bool b)
{
	memset(data2, 0, n * SECTOR);
	struct res r = blk_io(BLK_T_IN, s, addr_of(data2), n * SECTOR);

	if (!blk_ok(r)) {
		diag_res("read back", r);
		return false;
	}
	return matches(addr_of(data2), s, n, b);
}

static bool blk_write_b(uint64_t s, unsigned n, uintptr_t buf)
{
	fill(buf, s, n, true);
	struct res r = blk_io(BLK_T_OUT, s, buf, n * SECTOR);

	if (blk_ok(r))
		record_write(s, n);
	else
		diag_res("write", r);
	return blk_ok(r);
}

/* ---------------------------------------------------------------- device tree, RAM */
static void find_ram(const struct dt_region *r, void *arg)
{
	uintptr_t self = (uintptr_t)arg;

	if (r->kind == DT_REGION_MEMORY && r->base <= self && self - r->base < r->size) {
		ram_base = r->base;
		ram_end = r->base + r->size;
	}
}

static struct {
	bool found;
	const char *node;
	uint64_t size;
} slot_dt[32];

static void find_slots(const struct dt_region *r, void *arg)
{
	(void)arg;
	for (unsigned n = 0; n < ARRAY_SIZE(slot_dt); n++)
		if (r->kind == DT_REGION_DEVICE && r->base == SLOT_BASE(n)) {
			slot_dt[n].found = true;
			slot_dt[n].node = r->node;
			slot_dt[n].size = r->size;
		}
}

static void check_dt_slot(unsigned n, const char *what)
{
	char path[64];
	uint32_t len;

	if (!check(slot_dt[n].found && slot_dt[n].size >= 0x200,
		   "DT: %s transport declared at 0x%lx", what, SLOT_BASE(n)))
		return;
	snprintf(path, sizeof(path), "/%s", slot_dt[n].node);
	const char *compat = guest_dt_prop(path, "compatible", &len);
	check(compat && len >= 12 && strcmp(compat, "virtio,mmio") == 0,
	      "DT: %s is compatible \"virtio,mmio\"", path);
	const uint8_t *irq = guest_dt_prop(path, "interrupts", &len);
	bool ok =
		irq && len == 12 && be32(irq) == 0 && be32(irq + 4) == 16 + n && be32(irq + 8) == 4;
	if (!check(ok, "DT: %s interrupts = <GIC_SPI %u IRQ_TYPE_LEVEL_HIGH>", path, 16 + n) &&
	    irq && len == 12)
		diag("interrupts = <%u %u %u>", be32(irq), be32(irq + 4), be32(irq + 8));
}

/* 2 MiB boundaries of our RAM, away from our image and the DTB, for scratch use. */
static void find_scratch(void)
{
	const uint8_t *dtb = guest_dtb();
	uint64_t dtb_lo = addr_of(dtb), dtb_hi = dtb_lo + (dtb ? be32(dtb + 4) : 0);
	uint64_t img_hi = addr_of(__image_end);

	for (uint64_t b = (ram_base + TWO_MIB) & ~(TWO_MIB - 1);
	     b + SCRATCH_HALF <= ram_end && nscratch < MAX_SCRATCH; b += TWO_MIB) {
		uint64_t lo = b - SCRATCH_HALF, hi = b + SCRATCH_HALF;
		bool clash = (lo < img_hi && addr_of(__image_start) < hi) ||
			     (dtb && lo < dtb_hi && dtb_lo < hi);
		if (!clash)
			scratch[nscratch++] = b;
	}
}

/* ---------------------------------------------------------------- refused accesses */
static bool refused(const char *what, uintptr_t addr)
{
	struct exc_record rec;
	bool taken = exception_taken(&rec);
	bool ok = taken && ESR_EC(rec.esr) == EC_DABT_CUR && ESR_DABT_DFSC(rec.esr) == DFSC_SEA;

	if (!check(ok, "%s at 0x%lx is refused (synchronous external abort)", what, addr) && taken)
		diag("ESR_EL1 0x%lx, FAR_EL1 0x%lx", rec.esr, rec.far);
	return ok;
}

static void check_access_sizes(const struct vdev *d)
{
	uintptr_t b = d->base;
	volatile uint64_t sink;

	expect_exception();
	sink = readw(b + R_MAGIC);
	refused("16-bit read of MagicValue", b + R_MAGIC);
	expect_exception();
	sink = readb(b + R_VERSION);
	refused("8-bit read of Version", b + R_VERSION);
	expect_exception();
	sink = readq(b + R_MAGIC);
	refused("64-bit read of MagicValue", b + R_MAGIC);
	expect_exception();
	writew(0, b + R_QUEUE_SEL);
	refused("16-bit write of QueueSel", b + R_QUEUE_SEL);
	expect_exception();
	writeb(0, b + R_STATUS);
	refused("8-bit write of Status", b + R_STATUS);
	(void)sink;

	/* 4.2.2.2: the configuration space takes the width of each field. */
	expect_exception();
	uint32_t lo = readl(b + R_CONFIG + BLK_CFG_CAPACITY);
	uint8_t b0 = readb(b + R_CONFIG + BLK_CFG_CAPACITY);
	uint16_t h0 = readw(b + R_CONFIG + BLK_CFG_CAPACITY);
	check(!exception_taken(NULL) && b0 == (uint8_t)lo && h0 == (uint16_t)lo,
	      "blk: 8- and 16-bit reads of the configuration space work");

	/* A write to a read-only register: ignored, or refused; never taken. */
	expect_exception();
	wr(d, R_MAGIC, 0x12345678);
	bool taken = exception_taken(NULL);
	check(rd(d, R_MAGIC) == MMIO_MAGIC, "blk: a write to MagicValue is %s and changes nothing",
	      taken ? "refused" : "ignored");
}

/* ---------------------------------------------------------------- identification */
static void check_ident(struct vdev *d, uint32_t id, unsigned nq)
{
	check_eq(rd(d, R_MAGIC), MMIO_MAGIC, "%s: MagicValue is \"virt\"", d->name);
	check_eq(rd(d, R_VERSION), 2, "%s: Version is 2 (not legacy)", d->name);
	check_eq(rd(d, R_DEVICE_ID), id, "%s: DeviceID is %u", d->name, id);
	check(rd(d, R_VENDOR_ID) != 0, "%s: VendorID is set (0x%x)", d->name, rd(d, R_VENDOR_ID));
	check_eq(dev_reset(d), 0, "%s: Status reads 0 after a reset", d->name);
	for (unsigned q = 0; q < nq; q++) {
		wr(d, R_QUEUE_SEL, q);
		uint32_t max = rd(d, R_QUEUE_NUM_MAX);
		check(max >= QSZ && (max & (max - 1)) == 0,
		      "%s: queue %u: QueueNumMax is a power of two >= %u (%u)", d->name, q, QSZ,
		      max);
		check_eq(rd(d, R_QUEUE_READY), 0, "%s: queue %u: QueueReady is 0 after a reset",
			 d->name, q);
		if (d == &blk)
			blk_nummax = max;
	}
	wr(d, R_QUEUE_SEL, nq);
	check_eq(rd(d, R_QUEUE_NUM_MAX), 0, "%s: QueueNumMax of queue %u (none) is 0", d->name, nq);
	wr(d, R_QUEUE_SEL, 0);

	d->offered = dev_features(d);
	diag("%s: device features 0x%016lx", d->name, d->offered);
	check(d->offered & F_VERSION_1, "%s: VIRTIO_F_VERSION_1 is offered", d->name);
	check(!(d->offered & F_RING_PACKED), "%s: VIRTIO_F_RING_PACKED is not offered", d->name);
	wr(d, R_DEV_FEATURES_SEL, 2);
	check_eq(rd(d, R_DEV_FEATURES), 0, "%s: feature bits 64..95 are 0", d->name);
}

/*
 * 2.2.2: a device must refuse FEATURES_OK for a set it cannot accept, and a
 * bit it did not offer is such a set.
 */
static void check_feature_refusal(struct vdev *d)
{
	static const uint64_t candidates[] = { F_EVENT_IDX, F_RING_PACKED, F_IN_ORDER, BLK_F_MQ,
					       1ULL << 50 };
	uint64_t extra = 0;

	for (unsigned i = 0; i < ARRAY_SIZE(candidates) && !extra; i++)
		if (!(d->offered & candidates[i]))
			extra = candidates[i];
	dev_reset(d);
	set_status(d, S_ACKNOWLEDGE);
	set_status(d, S_DRIVER);
	bool ok = dev_negotiate(d, F_VERSION_1 | extra);
	check(!ok, "%s: FEATURES_OK with a feature not offered (0x%lx) does not stick", d->name,
	      extra);
	check_eq(dev_reset(d), 0, "%s: reset after the refused features", d->name);

	/*
	 * 6.1: a device MAY fail to operate without VERSION_1; Rhenium's devices
	 * are modern only (docs/virtio.md), so they must refuse.
	 */
	set_status(d, S_ACKNOWLEDGE);
	set_status(d, S_DRIVER);
	ok = dev_negotiate(d, d->want & ~F_VERSION_1);
	check(!ok, "%s: FEATURES_OK without VERSION_1 does not stick", d->name);
	dev_reset(d);
}

/* ---------------------------------------------------------------- console */
static struct res con_tx(const struct seg *s, unsigned n)
{
	ensure_running(&con);
	chain_put(txq.desc, 0, s, n);
	vq_kick(&txq, 0);
	return finish(&txq, 0);
}

static struct res con_tx_str(const char *text)
{
	struct seg s = { addr_of(text), (uint32_t)strlen(text), 0 };

	return con_tx(&s, 1);
}

/* Line-sized TX with the used-ring checks. */
static void tx_line(const char *what, const struct seg *s, unsigned n)
{
	struct res r = con_tx(s, n);

	if (!check(r.done && r.id == 0 && r.len == 0,
		   "console: %s: used with id 0 and length 0 (nothing written)", what))
		diag_res(what, r);
	check(r.isr & ISR_USED, "console: %s: InterruptStatus has the used-buffer bit", what);
}

static void test_console(void)
{
	bool early;

	check_ident(&con, ID_CONSOLE, 2);
	con.want = con.offered & (F_VERSION_1 | F_INDIRECT_DESC);
	check_feature_refusal(&con);

	con_default();
	bool started = con_start(&early);
	if (!check(started && !early, "console: initialises with 0x%lx", con.want)) {
		diag("Status 0x%x", rd(&con, R_STATUS));
		return;
	}
	check_eq(rd(&con, R_STATUS), S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK,
		 "console: Status reads ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK");
	wr(&con, R_QUEUE_SEL, 1);
	check_eq(rd(&con, R_QUEUE_READY), 1, "console: QueueReady reads back 1");

	/* Receive buffers: with no input nothing may be used. */
	for (unsigned i = 0; i < 2; i++) {
		desc_put(rxq.desc, i, addr_of(rxbuf[i]), sizeof(rxbuf[i]), D_WRITE, 0);
		avail_push(&rxq, (uint16_t)i);
	}
	avail_publish(&rxq);
	vq_notify(&rxq);
	check(vq_quiet(&rxq), "console: receive buffers stay unused without input");

	/* The test looks for each VCON-n line on Rhenium's console. */
	static const char t1[] = "VCON-1 hello from the virtio-console transmitq\n";
	struct seg one = { addr_of(t1), sizeof(t1) - 1, 0 };
	tx_line("one descriptor", &one, 1);

	static const char p1[] = "VCON-2 split ", p2[] = "over three ", p3[] = "descriptors\n";
	struct seg three[] = { { addr_of(p1), sizeof(p1) - 1, 0 },
			       { addr_of(p2), sizeof(p2) - 1, 0 },
			       { addr_of(p3), sizeof(p3) - 1, 0 } };
	tx_line("three chained descriptors", three, 3);

	if (con.want & F_INDIRECT_DESC) {
		static const char t[] = "VCON-3 through an indirect table\n";
		struct seg in[] = { { addr_of(t), 7, 0 }, { addr_of(t) + 7, sizeof(t) - 8, 0 } };
		chain_put(addr_of(itab), 0, in, 2);
		struct seg ind = { addr_of(itab), 32, D_INDIRECT };
		tx_line("an indirect descriptor", &ind, 1);
	} else {
		diag("console: INDIRECT_DESC not offered, no indirect transmit");
	}

	if (nscratch > 0) {
		static const char t[] = "VCON-4 across a 2 MiB boundary of guest RAM\n";
		uintptr_t p = scratch[0] - 20;
		memcpy((void *)p, t, sizeof(t));
		struct seg s = { p, sizeof(t) - 1, 0 };
		tx_line("a buffer across a 2 MiB boundary", &s, 1);
	}

	/* Many in a row: the used index keeps pace. */
	bool all = true;
	for (unsigned i = 0; i < 40 && all; i++) {
		snprintf(txtext, sizeof(txtext), "VCON-5 line %u of 40\n", i + 1);
		struct res r = con_tx_str(txtext);
		all = r.done && r.id == 0;
	}
	check(all, "console: 40 transmits in a row are all used");
}

/* ---------------------------------------------------------------- block: good paths */
static void test_blk_config(void)
{
	uint32_t gen, lo, hi;

	do {
		gen = rd(&blk, R_CONFIG_GEN);
		lo = rd(&blk, R_CONFIG + BLK_CFG_CAPACITY);
		hi = rd(&blk, R_CONFIG + BLK_CFG_CAPACITY + 4);
	} while (gen != rd(&blk, R_CONFIG_GEN));
	capacity = (uint64_t)hi << 32 | lo;
	diag("blk: capacity %lu sectors", capacity);
	if (disk_sectors_arg)
		check_eq(capacity, disk_sectors_arg, "blk: capacity is the region's %lu sectors",
			 disk_sectors_arg);
	else
		check(capacity > 0, "blk: capacity is not 0");
	check(blk.offered & BLK_F_FLUSH, "blk: VIRTIO_BLK_F_FLUSH is offered");
	check(blk.offered & F_INDIRECT_DESC, "blk: VIRTIO_F_INDIRECT_DESC is offered");
	check(!(blk.offered & BLK_F_RO), "blk: VIRTIO_BLK_F_RO is not offered");
	if (check(blk.offered & BLK_F_SEG_MAX, "blk: VIRTIO_BLK_F_SEG_MAX is offered")) {
		seg_max = rd(&blk, R_CONFIG + BLK_CFG_SEG_MAX);
		check(seg_max >= 1, "blk: seg_max is at least 1 (%u)", seg_max);
	}
	if (check(blk.offered & BLK_F_BLK_SIZE, "blk: VIRTIO_BLK_F_BLK_SIZE is offered")) {
		uint32_t bs = rd(&blk, R_CONFIG + BLK_CFG_BLK_SIZE);
		check(bs >= SECTOR && (bs & (bs - 1)) == 0,
		      "blk: blk_size is a power of two >= 512 (%u)", bs);
	}
	blk.want = blk.offered &
		   (F_VERSION_1 | F_INDIRECT_DESC | BLK_F_FLUSH | BLK_F_SEG_MAX | BLK_F_BLK_SIZE);
}

/* 2.1.2: nothing is consumed before DRIVER_OK. */
static void test_blk_driver_ok(void)
{
	struct vq *qs[] = { &blkq };
	bool early;

	blk_default();
	if (!check(dev_start(&blk, qs, 1, false, &early) && !early,
		   "blk: features 0x%lx and the queue accepted", blk.want))
		return;
	wr(&blk, R_QUEUE_SEL, 0);
	check_eq(rd(&blk, R_QUEUE_READY), 1, "blk: QueueReady reads back 1");
	hdr_set(addr_of(hdrs[0]), BLK_T_IN, 0);
	writeb(0xff, addr_of(stat));
	struct seg s[] = { { addr_of(hdrs[0]), 16, 0 },
			   { addr_of(sector0), SECTOR, D_WRITE },
			   { addr_of(stat), 1, D_WRITE } };
	chain_put(blkq.desc, 0, s, 3);
	vq_kick(&blkq, 0);
	check(vq_quiet(&blkq), "blk: a request is not consumed before DRIVER_OK");
	set_status(&blk, S_DRIVER_OK);
	vq_notify(&blkq);
	struct res r = finish(&blkq, addr_of(stat));
	if (!check(blk_ok(r) && r.id == 0, "blk: it completes after DRIVER_OK and a notification"))
		diag_res("first read", r);
	check_eq(r.len, SECTOR + 1, "blk: read: used length is 513 (data and status)");
	check(r.isr & ISR_USED, "blk: read: InterruptStatus has the used-buffer bit");
	check_eq(rd(&blk, R_ISR), 0, "blk: InterruptACK clears InterruptStatus");
	if (pattern_known)
		check(matches(addr_of(sector0), 0, 1, false), "blk: sector 0 holds pattern A");
}

static void test_blk_rw(void)
{
	struct res r;

	r = blk_io(BLK_T_IN, capacity - 1, addr_of(data), SECTOR);
	check(blk_ok(r) && (!pattern_known || matches(addr_of(data), capacity - 1, 1, false)),
	      "blk: the last sector reads%s", pattern_known ? " as pattern A" : "");

	fill(addr_of(data), 8, 4, true);
	r = blk_io(BLK_T_OUT, 8, addr_of(data), 4 * SECTOR);
	if (check(blk_ok(r), "blk: write of sectors 8-11 in one descriptor"))
		record_write(8, 4);
	check_eq(r.len, 1, "blk: write: used length is 1 (the status byte)");
	r = blk_io(BLK_T_FLUSH, 0, 0, 0);
	check(blk_ok(r), "blk: flush");
	check(read_back(8, 4, true), "blk: sectors 8-11 read back as written");

	check(blk_write_b(capacity - 1, 1, addr_of(data)), "blk: write of the last sector");
	check(read_back(capacity - 1, 1, true), "blk: the last sector reads back as written");

	memset(idbuf, 0, sizeof(idbuf));
	r = blk_io(BLK_T_GET_ID, 0, addr_of(idbuf), BLK_ID_BYTES);
	getid_ok = blk_ok(r);
	check(r.done && (r.status == BLK_S_OK || r.status == BLK_S_UNSUPP),
	      "blk: GET_ID answers OK or UNSUPP (%d)", r.status);
	if (getid_ok) {
		char id[BLK_ID_BYTES + 1];
		for (unsigned i = 0; i < BLK_ID_BYTES; i++) {
			bool printable = idbuf[i] >= 0x20 && idbuf[i] < 0x7f;
			id[i] = printable || !idbuf[i] ? (char)idbuf[i] : '?';
		}
		id[BLK_ID_BYTES] = '\0';
		diag("blk: device ID \"%s\"", id);
	}
}

/* 2.7.4.1: "The device MUST NOT make assumptions about the particular arrangement of descriptors." */
static void test_blk_layouts(void)
{
	uintptr_t h = addr_of(hdrs[1]), st = addr_of(stat) + 3;
	struct res r;

	/* Header in two 8-byte halves; data in 100 + 412 bytes at odd addresses. */
	hdr_set(h, BLK_T_IN, 8);
	memset(data2, 0, 2 * SECTOR);
	uintptr_t odd = addr_of(data2) + 1;
	struct seg a[] = { { h, 8, 0 },
			   { h + 8, 8, 0 },
			   { odd, 100, D_WRITE },
			   { odd + 100, 412, D_WRITE },
			   { st, 1, D_WRITE } };
	r = blk_chain(a, 5, st);
	check(blk_ok(r) && r.len == SECTOR + 1 && matches(odd, 8, 1, true),
	      "blk: read with the header and the data each split in two, unaligned");

	/* Data and status in one 513-byte device-writable descriptor. */
	hdr_set(h, BLK_T_IN, 9);
	memset(data2, 0xee, 2 * SECTOR);
	struct seg b[] = { { h, 16, 0 }, { addr_of(data2), SECTOR + 1, D_WRITE } };
	r = blk_chain(b, 2, addr_of(data2) + SECTOR);
	check(blk_ok(r) && matches(addr_of(data2), 9, 1, true),
	      "blk: read with data and status in one descriptor");

	/* Header and data in one 528-byte device-readable descriptor. */
	uintptr_t buf = addr_of(data) + 16 * 8;
	hdr_set(buf - 16, BLK_T_OUT, 12);
	fill(buf, 12, 1, true);
	struct seg c[] = { { buf - 16, 16 + SECTOR, 0 }, { st, 1, D_WRITE } };
	r = blk_chain(c, 2, st);
	if (check(blk_ok(r), "blk: write with header and data in one descriptor"))
		record_write(12, 1);
	check(read_back(12, 1, true), "blk: sector 12 reads back as written");

	/* Exactly queue-size descriptors: header, 6 data, status. */
	if (seg_max >= QSZ - 2) {
		struct seg d[QSZ];
		fill(addr_of(data), 16, QSZ - 2, true);
		hdr_set(h, BLK_T_OUT, 16);
		d[0] = (struct seg){ h, 16, 0 };
		for (unsigned i = 0; i < QSZ - 2; i++)
			d[1 + i] = (struct seg){ addr_of(data) + i * SECTOR, SECTOR, 0 };
		d[QSZ - 1] = (struct seg){ st, 1, D_WRITE };
		r = blk_chain(d, QSZ, st);
		if (check(blk_ok(r), "blk: write in a chain of exactly the queue size (%u)", QSZ))
			record_write(16, QSZ - 2);
		check(read_back(16, QSZ - 2, true), "blk: sectors 16-21 read back as written");
	} else {
		diag("blk: seg_max %u < %u, no queue-size chain", seg_max, QSZ - 2);
	}
}

static void test_blk_indirect(void)
{
	uintptr_t h = addr_of(hdrs[2]), st = addr_of(stat) + 5, t = addr_of(itab);
	struct res r;

	if (!(blk.want & F_INDIRECT_DESC))
		return;

	hdr_set(h, BLK_T_IN, 8);
	memset(data2, 0, SECTOR);
	struct seg in[] = { { h, 16, 0 }, { addr_of(data2), SECTOR, D_WRITE }, { st, 1, D_WRITE } };
	chain_put(t, 0, in, 3);
	struct seg ind = { t, 48, D_INDIRECT };
	r = blk_chain(&ind, 1, st);
	check(blk_ok(r) && r.len == SECTOR + 1 && matches(addr_of(data2), 8, 1, true),
	      "blk: read through one indirect descriptor");

	/* 2.7.5.3.2: the device MUST ignore WRITE on the descriptor naming the table. */
	hdr_set(h, BLK_T_IN, 9);
	memset(data2, 0, SECTOR);
	ind.flags = D_INDIRECT | D_WRITE;
	r = blk_chain(&ind, 1, st);
	check(blk_ok(r) && matches(addr_of(data2), 9, 1, true),
	      "blk: the WRITE flag on an indirect descriptor is ignored");

	/* 2.7.5.3.2: direct descriptors followed by one indirect descriptor. */
	hdr_set(h, BLK_T_IN, 8);
	memset(data2, 0, SECTOR);
	struct seg tail[] = { { addr_of(data2), SECTOR, D_WRITE }, { st, 1, D_WRITE } };
	chain_put(t, 0, tail, 2);
	struct seg mixed[] = { { h, 16, 0 }, { t, 32, D_INDIRECT } };
	r = blk_chain(mixed, 2, st);
	check(blk_ok(r) && matches(addr_of(data2), 8, 1, true),
	      "blk: read through a direct header followed by an indirect descriptor");

	/* A write through an indirect table. */
	hdr_set(h, BLK_T_OUT, 28);
	fill(addr_of(data), 28, 1, true);
	struct seg out[] = { { h, 16, 0 }, { addr_of(data), SECTOR, 0 }, { st, 1, D_WRITE } };
	chain_put(t, 0, out, 3);
	ind.flags = D_INDIRECT;
	r = blk_chain(&ind, 1, st);
	if (check(blk_ok(r), "blk: write through an indirect descriptor"))
		record_write(28, 1);
	check(read_back(28, 1, true), "blk: sector 28 reads back as written");
}

/* Buffers and rings across 2 MiB boundaries, where RAM backed by separate blocks would split. */
static void test_blk_boundaries(void)
{
	struct res r;

	if (nscratch < 5) {
		diag("blk: only %u scratch 2 MiB boundaries, no boundary tests", nscratch);
		return;
	}
	uintptr_t wbuf = scratch[1] - SECTOR, rbuf = scratch[2] - 700;
	check(blk_write_b(24, 2, wbuf), "blk: write from a buffer across a 2 MiB boundary");
	memset((void *)rbuf, 0, 2 * SECTOR);
	r = blk_io(BLK_T_IN, 24, rbuf, 2 * SECTOR);
	check(blk_ok(r) && matches(rbuf, 24, 2, true),
	      "blk: read into a buffer across a 2 MiB boundary");

	/* All three rings across boundaries (each keeps its alignment). */
	bool early;
	blk_default();
	blkq.desc = blkq.desc_dev = scratch[3] - 64;
	blkq.avail = blkq.avail_dev = scratch[4] - 10;
	blkq.used = blkq.used_dev = scratch[4] + 0x1000 - 36; /* 4 KiB page, same block */
	if (nscratch >= 6)
		blkq.used = blkq.used_dev = scratch[5] - 36;
	bool ok = blk_start(&early) && !early;
	for (unsigned i = 0; i < 3 * QSZ && ok; i++) {
		r = blk_io(BLK_T_IN, 8, addr_of(data2), SECTOR);
		ok = blk_ok(r) && r.id == 0 && matches(addr_of(data2), 8, 1, true);
	}
	check(ok, "blk: %u reads with the rings across 2 MiB boundaries", 3 * QSZ);
	blk_default();
	check(blk_start(&early) && !early, "blk: back on the normal rings");
}

/* Several chains in one notification; a full ring (QSZ chains) through indirect tables. */
static void test_blk_batches(void)
{
	uint32_t id, len;
	bool ok = true;
	unsigned seen = 0;

	ensure_running(&blk);
	for (unsigned k = 0; k < QSZ / 2; k++) {
		hdr_set(addr_of(hdrs[k]), BLK_T_FLUSH, 0);
		writeb(0xff, addr_of(stat) + 16 + k);
		struct seg s[] = { { addr_of(hdrs[k]), 16, 0 },
				   { addr_of(stat) + 16 + k, 1, D_WRITE } };
		chain_put(blkq.desc, 2 * k, s, 2);
		avail_push(&blkq, (uint16_t)(2 * k));
	}
	avail_publish(&blkq);
	vq_notify(&blkq);
	for (unsigned k = 0; k < QSZ / 2; k++) {
		if (!vq_wait(&blkq, &id, &len, TIMEOUT_US) || id % 2 || id >= QSZ) {
			ok = false;
			break;
		}
		seen |= 1U << (id / 2);
	}
	for (unsigned k = 0; k < QSZ / 2; k++)
		ok = ok && readb(addr_of(stat) + 16 + k) == BLK_S_OK;
	isr_ack(&blk);
	check(ok && seen == (1U << QSZ / 2) - 1, "blk: %u flushes in one notification", QSZ / 2);

	if (!(blk.want & F_INDIRECT_DESC))
		return;
	ok = true;
	seen = 0;
	for (unsigned k = 0; k < QSZ; k++) {
		uintptr_t t = addr_of(itab) + k * 32, h = addr_of(hdrs[k]);
		hdr_set(h, BLK_T_FLUSH, 0);
		writeb(0xff, addr_of(stat) + 32 + k);
		struct seg s[] = { { h, 16, 0 }, { addr_of(stat) + 32 + k, 1, D_WRITE } };
		chain_put(t, 0, s, 2);
		desc_put(blkq.desc, k, t, 32, D_INDIRECT, 0);
		avail_push(&blkq, (uint16_t)k);
	}
	avail_publish(&blkq);
	vq_notify(&blkq);
	for (unsigned k = 0; k < QSZ; k++) {
		if (!vq_wait(&blkq, &id, &len, TIMEOUT_US) || id >= QSZ) {
			ok = false;
			break;
		}
		seen |= 1U << id;
	}
	for (unsigned k = 0; k < QSZ; k++)
		ok = ok && readb(addr_of(stat) + 32 + k) == BLK_S_OK;
	isr_ack(&blk);
	check(ok && seen == (1U << QSZ) - 1,
	      "blk: a full ring (%u indirect flushes) in one notification", QSZ);

	/* 2.7.10: the device MUST handle spurious notifications. */
	vq_notify(&blkq);
	vq_notify(&blkq);
	check(vq_quiet(&blkq) && !(rd(&blk, R_STATUS) & S_NEEDS_RESET),
	      "blk: notifications with nothing new are harmless");
}

/* ---------------------------------------------------------------- block: status-byte errors */
static void expect_blk_status(const char *what, struct res r, int want)
{
	if (!check(r.done && r.status == want, "blk: %s: status %s", what,
		   want == BLK_S_IOERR ? "IOERR" : "UNSUPP"))
		diag_res(what, r);
	check(!(rd(&blk, R_STATUS) & S_NEEDS_RESET), "blk: %s: the device stays usable", what);
}

static void test_blk_errors(void)
{
	struct res r;

	r = blk_io(BLK_T_IN, capacity, addr_of(data), SECTOR);
	expect_blk_status("read at the capacity", r, BLK_S_IOERR);
	r = blk_io(BLK_T_IN, capacity - 1, addr_of(data), 2 * SECTOR);
	expect_blk_status("read across the end", r, BLK_S_IOERR);
	r = blk_io(BLK_T_IN, ~0ULL, addr_of(data), SECTOR);
	expect_blk_status("read of sector 2^64-1", r, BLK_S_IOERR);

	fill(addr_of(data), capacity, 1, true);
	r = blk_io(BLK_T_OUT, capacity, addr_of(data), SECTOR);
	expect_blk_status("write at the capacity", r, BLK_S_IOERR);
	/* 2^55 sectors is 2^64 bytes: wrapped, this would land on sector 0. */
	fill(addr_of(data), 0, 1, true);
	r = blk_io(BLK_T_OUT, 1ULL << 55, addr_of(data), SECTOR);
	expect_blk_status("write of sector 2^55", r, BLK_S_IOERR);
	r = blk_io(BLK_T_IN, 0, addr_of(data2), SECTOR);
	check(blk_ok(r) && memcmp(data2, sector0, SECTOR) == 0,
	      "blk: sector 0 is unchanged by the refused writes");

	r = blk_io(BLK_T_IN, 0, addr_of(data), 100);
	expect_blk_status("read of 100 bytes", r, BLK_S_IOERR);
	r = blk_io(BLK_T_OUT, 30, addr_of(data), SECTOR + 188);
	expect_blk_status("write of 700 bytes", r, BLK_S_IOERR);
	r = blk_io(7, 0, addr_of(data), SECTOR);
	expect_blk_status("request type 7", r, BLK_S_UNSUPP);
	r = blk_io(0x80000000U, 0, addr_of(data), SECTOR);
	expect_blk_status("request type 0x80000000 (legacy barrier bit)", r, BLK_S_UNSUPP);

	r = blk_io(BLK_T_IN, 0, addr_of(data2), SECTOR);
	check(blk_ok(r) && memcmp(data2, sector0, SECTOR) == 0,
	      "blk: a read works after the refused requests");
}

/* ---------------------------------------------------------------- block: the interrupt */
static volatile unsigned irq_count, irq_intid, irq_isr;

static void blk_irq(void)
{
	uint32_t intid = gic_ack();

	if (intid == blk.intid) {
		irq_isr = rd(&blk, R_ISR);
		wr(&blk, R_ISR_ACK, irq_isr);
	}
	irq_intid = intid;
	irq_count++;
	if (intid != GIC_SPURIOUS)
		gic_eoi(intid);
}

static bool wait_pending(unsigned intid, bool want)
{
	uint64_t end = deadline_us(10000);

	while (gic_irq_pending(intid) != want && before(end))
		;
	return gic_irq_pending(intid) == want;
}

static void test_blk_interrupt(void)
{
	unsigned intid = blk.intid, n = intid / 32, bit = 1U << (intid % 32);
	uint64_t mpidr = read_sysreg(mpidr_el1);
	uint32_t id, len;

	gic_init();
	writel(readl(GICD_BASE + GICD_IGROUPR + 4 * n) | bit, GICD_BASE + GICD_IGROUPR + 4 * n);
	writel(readl(GICD_BASE + GICD_ICFGR + 4 * (intid / 16)) & ~(2U << 2 * (intid % 16)),
	       GICD_BASE + GICD_ICFGR + 4 * (intid / 16));
	writeq((mpidr & 0xffffff) | (mpidr & 0xff00000000UL), GICD_BASE + GICD_IROUTER + 8 * intid);
	gic_set_priority(intid, GIC_DEFAULT_PRIORITY);
	gic_enable_irq(intid);

	/* IRQs masked: the level is visible at the distributor until InterruptACK. */
	struct res r = blk_io(BLK_T_FLUSH, 0, 0, 0); /* acks; do one more without */
	check(blk_ok(r), "blk: flush before the interrupt test");
	hdr_set(addr_of(hdrs[0]), BLK_T_FLUSH, 0);
	writeb(0xff, addr_of(stat));
	struct seg s[] = { { addr_of(hdrs[0]), 16, 0 }, { addr_of(stat), 1, D_WRITE } };
	chain_put(blkq.desc, 0, s, 2);
	vq_kick(&blkq, 0);
	bool done = vq_wait(&blkq, &id, &len, TIMEOUT_US);
	check(done && (rd(&blk, R_ISR) & ISR_USED),
	      "blk: InterruptStatus bit 0 after a completion");
	check(wait_pending(intid, true), "blk: INTID %u pending at the distributor (GICD_ISPENDR)",
	      intid);
	check(read_sysreg(isr_el1) & (1U << 7), "blk: INTID %u pending at the CPU (ISR_EL1.I)",
	      intid);
	wr(&blk, R_ISR_ACK, ISR_USED);
	check_eq(rd(&blk, R_ISR), 0, "blk: InterruptACK clears bit 0");
	check(wait_pending(intid, false), "blk: INTID %u no longer pending once acknowledged",
	      intid);

	/* Unmasked: delivered once, with bit 0 set when the handler looks. */
	irq_count = 0;
	set_irq_handler(blk_irq);
	irq_enable();
	unsigned spurious_before = irq_count;
	writeb(0xff, addr_of(stat));
	vq_kick(&blkq, 0);
	uint64_t end = deadline_us(TIMEOUT_US);
	while (irq_count == spurious_before && before(end))
		;
	udelay(1000);
	irq_disable();
	done = vq_wait(&blkq, &id, &len, 1000);
	if (spurious_before)
		diag("blk: %u interrupt(s) taken before the request", spurious_before);
	check(irq_count == spurious_before + 1 && irq_intid == intid,
	      "blk: the completion is delivered once as INTID %u", intid);
	check(irq_isr & ISR_USED, "blk: InterruptStatus bit 0 in the handler");
	check(done && readb(addr_of(stat)) == BLK_S_OK, "blk: the flush completed");
	check(!gic_irq_pending(intid) && !gic_irq_active(intid),
	      "blk: INTID %u neither pending nor active after EOI", intid);
	set_irq_handler(NULL);
	gic_disable_irq(intid);
}

/* ---------------------------------------------------------------- malformed input */
struct bad_case {
	const char *name;
	void (*prep)(struct vq *q); /* before the device starts: sizes, ring addresses */
	void (*make)(struct vq *q); /* after DRIVER_OK: the submission and notification */
	unsigned flags;
};
/* Any outcome but a crash is fine; the reset must work. */
#define TOLERANT 1U
/* Points the device at MMIO: skipped natively (QEMU's devices really DMA there). */
#define AT_MMIO 2U

static void mk_read_at(struct vq *q, uint64_t buf, uint32_t len)
{
	uintptr_t h = addr_of(hdrs[0]);

	hdr_set(h, BLK_T_IN, 0);
	writeb(0xff, addr_of(stat));
	struct seg s[] = { { h, 16, 0 }, { buf, len, D_WRITE }, { addr_of(stat), 1, D_WRITE } };
	chain_put(q->desc, 0, s, 3);
	vq_kick(q, 0);
}

static void mk_std(struct vq *q)
{
	mk_read_at(q, addr_of(data), SECTOR);
}

static void mk_buf_outside(struct vq *q)
{
	mk_read_at(q, ram_end, SECTOR);
}

static void mk_buf_past_end(struct vq *q)
{
	mk_read_at(q, ram_end - 256, SECTOR);
}

static void mk_buf_wrap(struct vq *q)
{
	mk_read_at(q, 0xfffffffffffffe00ULL, 2 * SECTOR);
}

static void mk_buf_gicd(struct vq *q)
{
	mk_read_at(q, GICD_BASE, SECTOR);
}

static void mk_buf_own_mmio(struct vq *q)
{
	mk_read_at(q, blk.base, SECTOR);
}

static void mk_hdr_outside(struct vq *q)
{
	struct seg s[] = { { ram_end, 16, 0 },
			   { addr_of(data), SECTOR, D_WRITE },
			   { addr_of(stat), 1, D_WRITE } };
	chain_put(q->desc, 0, s, 3);
	vq_kick(q, 0);
}

static void mk_status_outside(struct vq *q)
{
	hdr_set(addr_of(hdrs[0]), BLK_T_IN, 0);
	struct seg s[] = { { addr_of(hdrs[0]), 16, 0 },
			   { addr_of(data), SECTOR, D_WRITE },
			   { ram_end, 1, D_WRITE } };
	chain_put(q->desc, 0, s, 3);
	vq_kick(q, 0);
}

static void put_std_chain(struct vq *q)
{
	hdr_set(addr_of(hdrs[0]), BLK_T_IN, 0);
	writeb(0xff, addr_of(stat));
	struct seg s[] = { { addr_of(hdrs[0]), 16, 0 },
			   { addr_of(data), SECTOR, D_WRITE },
			   { addr_of(stat), 1, D_WRITE } };
	chain_put(q->desc, 0, s, 3);
}

static void mk_head_qsz(struct vq *q)
{
	put_std_chain(q);
	vq_kick(q, QSZ);
}

static void mk_head_ffff(struct vq *q)
{
	put_std_chain(q);
	vq_kick(q, 0xffff);
}

static void mk_next_qsz(struct vq *q)
{
	put_std_chain(q);
	desc_put(q->desc, 1, addr_of(data), SECTOR, D_WRITE | D_NEXT, QSZ);
	vq_kick(q, 0);
}

/*
 * Loops are made of device-readable descriptors (a write request), so that
 * the loop is the only thing wrong with them: a readable descriptor after a
 * writable one would be caught as such.
 */
static void put_loop(uintptr_t table)
{
	hdr_set(addr_of(hdrs[0]), BLK_T_OUT, 40);
	desc_put(table, 0, addr_of(hdrs[0]), 16, D_NEXT, 1);
	desc_put(table, 1, addr_of(data), SECTOR, D_NEXT, 0);
}

static void mk_loop2(struct vq *q)
{
	put_loop(q->desc);
	vq_kick(q, 0);
}

static void mk_loop1(struct vq *q)
{
	hdr_set(addr_of(hdrs[0]), BLK_T_OUT, 40);
	desc_put(q->desc, 0, addr_of(hdrs[0]), 16, D_NEXT, 0);
	vq_kick(q, 0);
}

/*
 * Table entries [first, first + count): one-sector reads into the same
 * buffer, the last one the status byte, each linked to the next.
 */
static void put_read_table(uintptr_t t, unsigned first, unsigned count)
{
	for (unsigned i = first; i + 1 < first + count; i++)
		desc_put(t, i, addr_of(data), SECTOR, D_WRITE | D_NEXT, (uint16_t)(i + 1));
	desc_put(t, first + count - 1, addr_of(stat), 1, D_WRITE, 0);
}

/* A chain longer than the queue, through an indirect table, without any loop. */
/* Header, n - 2 one-sector reads into the same buffer, status: an n-buffer chain. */
static void kick_long_indirect(struct vq *q, unsigned n)
{
	uintptr_t t = addr_of(itab);

	hdr_set(addr_of(hdrs[0]), BLK_T_IN, 0);
	desc_put(t, 0, addr_of(hdrs[0]), 16, D_NEXT, 1);
	put_read_table(t, 1, n - 1);
	desc_put(q->desc, 0, t, 16 * n, D_INDIRECT, 0);
	vq_kick(q, 0);
}

/*
 * 2.7.5.3.1: "A driver MUST NOT create a descriptor chain longer than the
 * Queue Size of the device." 257 buffers (a direct header, then an indirect
 * table of 256: data and the status byte) are more than the queue (8), more
 * than the largest queue Rhenium offers (QueueNumMax 256) and more than
 * Rhenium's VIRTQ_CHAIN_MAX (256), with no loop and a table of legal size.
 */
static void mk_long_indirect(struct vq *q)
{
	uintptr_t t = addr_of(itab);

	hdr_set(addr_of(hdrs[0]), BLK_T_IN, 0);
	desc_put(q->desc, 0, addr_of(hdrs[0]), 16, D_NEXT, 1);
	put_read_table(t, 0, 256);
	desc_put(q->desc, 1, t, 16 * 256, D_INDIRECT, 0);
	vq_kick(q, 0);
}

/*
 * Longer than this queue (8) through an indirect table, but short: Linux
 * builds such chains (an indirect table holds as many segments as the
 * request has), and Rhenium bounds chains by VIRTQ_CHAIN_MAX rather than by
 * the queue size. Whatever the device does, it must survive.
 */
static void mk_nine_indirect(struct vq *q)
{
	kick_long_indirect(q, QSZ + 1);
}

static void put_std_table(uintptr_t t)
{
	hdr_set(addr_of(hdrs[0]), BLK_T_IN, 0);
	writeb(0xff, addr_of(stat));
	struct seg s[] = { { addr_of(hdrs[0]), 16, 0 },
			   { addr_of(data), SECTOR, D_WRITE },
			   { addr_of(stat), 1, D_WRITE } };
	chain_put(t, 0, s, 3);
}

static void kick_indirect(struct vq *q, uint64_t table, uint32_t len, uint16_t flags)
{
	desc_put(q->desc, 0, table, len, (uint16_t)(D_INDIRECT | flags), 1);
	desc_put(q->desc, 1, addr_of(stat) + 1, 1, D_WRITE, 0);
	vq_kick(q, 0);
}

static void mk_ind_len_odd(struct vq *q)
{
	put_std_table(addr_of(itab));
	kick_indirect(q, addr_of(itab), 3 * 16 + 8, 0);
}

static void mk_ind_len0(struct vq *q)
{
	put_std_table(addr_of(itab));
	kick_indirect(q, addr_of(itab), 0, 0);
}

static void mk_ind_outside(struct vq *q)
{
	kick_indirect(q, ram_end, 48, 0);
}

static void mk_ind_past_end(struct vq *q)
{
	kick_indirect(q, ram_end - 16, 48, 0);
}

static void mk_ind_nested(struct vq *q)
{
	put_std_table(addr_of(itab2));
	desc_put(addr_of(itab), 0, addr_of(itab2), 48, D_INDIRECT, 0);
	kick_indirect(q, addr_of(itab), 16, 0);
}

static void mk_ind_with_next(struct vq *q)
{
	put_std_table(addr_of(itab));
	kick_indirect(q, addr_of(itab), 48, D_NEXT);
}

static void mk_ind_next_oob(struct vq *q)
{
	put_std_table(addr_of(itab));
	desc_put(addr_of(itab), 1, addr_of(data), SECTOR, D_WRITE | D_NEXT, 3);
	kick_indirect(q, addr_of(itab), 48, 0);
}

static void mk_ind_loop(struct vq *q)
{
	put_loop(addr_of(itab));
	kick_indirect(q, addr_of(itab), 32, 0);
}

/* 2.7.4.2: device-writable descriptors come after all device-readable ones. */
static void put_bad_order(uintptr_t t)
{
	hdr_set(addr_of(hdrs[0]), BLK_T_IN, 0);
	struct seg s[] = { { addr_of(hdrs[0]), 16, 0 },
			   { addr_of(data), SECTOR, D_WRITE },
			   { addr_of(data) + SECTOR, SECTOR, 0 },
			   { addr_of(stat), 1, D_WRITE } };
	chain_put(t, 0, s, 4);
}

static void mk_order(struct vq *q)
{
	put_bad_order(q->desc);
	vq_kick(q, 0);
}

static void mk_ind_order(struct vq *q)
{
	put_bad_order(addr_of(itab));
	kick_indirect(q, addr_of(itab), 64, 0);
}

static void mk_avail_jump(struct vq *q)
{
	put_std_chain(q);
	for (unsigned i = 0; i < QSZ; i++)
		writew(0, q->avail + 4 + 2 * i);
	q->next_avail = QSZ + 1;
	avail_publish(q);
	vq_notify(q);
}

static void mk_notify_bad_queue(struct vq *q)
{
	put_std_chain(q);
	avail_push(q, 0);
	avail_publish(q);
	wr(q->dev, R_QUEUE_NOTIFY, 7);
}

static void mk_short_hdr(struct vq *q)
{
	hdr_set(addr_of(hdrs[0]), BLK_T_IN, 0);
	struct seg s[] = { { addr_of(hdrs[0]), 8, 0 },
			   { addr_of(data), SECTOR, D_WRITE },
			   { addr_of(stat), 1, D_WRITE } };
	chain_put(q->desc, 0, s, 3);
	vq_kick(q, 0);
}

static void mk_no_writable(struct vq *q)
{
	hdr_set(addr_of(hdrs[0]), BLK_T_OUT, 40);
	struct seg s[] = { { addr_of(hdrs[0]), 16, 0 }, { addr_of(data), SECTOR, 0 } };
	chain_put(q->desc, 0, s, 2);
	vq_kick(q, 0);
}

static void pp_desc_outside(struct vq *q)
{
	q->desc_dev = ram_end;
}

static void pp_desc_past_end(struct vq *q)
{
	q->desc_dev = ram_end - 64;
}

static void pp_desc_wrap(struct vq *q)
{
	q->desc_dev = 0xfffffffffffffff0ULL;
}

static void pp_desc_gicd(struct vq *q)
{
	q->desc_dev = GICD_BASE;
}

static void pp_avail_outside(struct vq *q)
{
	q->avail_dev = ram_end + 0x1000;
}

static void pp_avail_gicd(struct vq *q)
{
	q->avail_dev = GICD_BASE;
}

static void pp_used_outside(struct vq *q)
{
	q->used_dev = ram_end;
}

static void pp_used_wrap(struct vq *q)
{
	q->used_dev = 0xfffffffffffffff8ULL;
}

static void pp_used_own_mmio(struct vq *q)
{
	q->used_dev = blk.base;
}

static void pp_qsize0(struct vq *q)
{
	q->num = 0;
}

static void pp_qsize3(struct vq *q)
{
	q->num = 3;
}

/* QueueNum above QueueNumMax: rings sized for it in scratch memory, so nothing of ours is hit. */
static void pp_qsize_big(struct vq *q)
{
	uint32_t n = 2 * blk_nummax;
	uintptr_t base = scratch[0] + 0x1000;

	memset((void *)base, 0, 0xc000);
	q->num = n;
	q->desc = q->desc_dev = base;
	q->avail = q->avail_dev = base + 16 * n;
	q->used = q->used_dev = (base + 16 * n + 6 + 2 * n + 0xfff) & ~0xfffUL;
}

static void pp_desc_misaligned(struct vq *q)
{
	q->desc_dev = q->desc + 8;
}

static void pp_avail_misaligned(struct vq *q)
{
	q->avail_dev = q->avail + 1;
}

static void pp_used_misaligned(struct vq *q)
{
	q->used_dev = q->used + 2;
}

static const struct bad_case blk_cases[] = {
	{ "descriptor table outside RAM", pp_desc_outside, NULL, 0 },
	{ "descriptor table running past the end of RAM", pp_desc_past_end, NULL, 0 },
	{ "descriptor table wrapping around 2^64", pp_desc_wrap, NULL, 0 },
	{ "descriptor table at the GIC distributor", pp_desc_gicd, NULL, AT_MMIO },
	{ "available ring outside RAM", pp_avail_outside, NULL, 0 },
	{ "available ring at the GIC distributor", pp_avail_gicd, NULL, AT_MMIO },
	{ "used ring outside RAM", pp_used_outside, NULL, 0 },
	{ "used ring wrapping around 2^64", pp_used_wrap, NULL, 0 },
	{ "used ring on the device's own registers", pp_used_own_mmio, NULL, AT_MMIO },
	{ "buffer outside RAM", NULL, mk_buf_outside, 0 },
	{ "buffer running past the end of RAM", NULL, mk_buf_past_end, 0 },
	{ "buffer wrapping around 2^64", NULL, mk_buf_wrap, 0 },
	{ "buffer on the device's own registers", NULL, mk_buf_own_mmio, AT_MMIO },
	{ "header outside RAM", NULL, mk_hdr_outside, 0 },
	{ "status byte outside RAM", NULL, mk_status_outside, 0 },
	{ "head index equal to the queue size", NULL, mk_head_qsz, 0 },
	{ "head index 0xffff", NULL, mk_head_ffff, 0 },
	{ "next index equal to the queue size", NULL, mk_next_qsz, 0 },
	{ "descriptor loop a->b->a", NULL, mk_loop2, 0 },
	{ "descriptor chained to itself", NULL, mk_loop1, 0 },
	{ "device-readable descriptor after a device-writable one", NULL, mk_order, 0 },
	{ "available index more than a queue ahead", NULL, mk_avail_jump, 0 },
	{ "queue size 0", pp_qsize0, NULL, TOLERANT },
	{ "queue size 3 (not a power of two)", pp_qsize3, NULL, TOLERANT },
	{ "queue size above QueueNumMax", pp_qsize_big, NULL, TOLERANT },
	{ "descriptor table 8-byte aligned", pp_desc_misaligned, NULL, TOLERANT },
	{ "available ring at an odd address", pp_avail_misaligned, NULL, TOLERANT },
	{ "used ring 2-byte aligned", pp_used_misaligned, NULL, TOLERANT },
	{ "notification for queue 7 (none)", NULL, mk_notify_bad_queue, TOLERANT },
	{ "8-byte request header", NULL, mk_short_hdr, TOLERANT },
	{ "no device-writable descriptor", NULL, mk_no_writable, TOLERANT },
};

static const struct bad_case blk_indirect_cases[] = {
	{ "chain of 257 buffers (direct header, indirect table of 256)", NULL, mk_long_indirect,
	  0 },
	{ "chain of 9 buffers on a queue of 8 (indirect)", NULL, mk_nine_indirect, TOLERANT },
	{ "indirect table length not a multiple of 16", NULL, mk_ind_len_odd, 0 },
	{ "indirect table of length 0", NULL, mk_ind_len0, 0 },
	{ "indirect table outside RAM", NULL, mk_ind_outside, 0 },
	{ "indirect table running past the end of RAM", NULL, mk_ind_past_end, 0 },
	{ "indirect descriptor inside an indirect table", NULL, mk_ind_nested, 0 },
	{ "INDIRECT together with NEXT", NULL, mk_ind_with_next, 0 },
	{ "next index beyond an indirect table", NULL, mk_ind_next_oob, 0 },
	{ "loop inside an indirect table", NULL, mk_ind_loop, 0 },
	{ "readable after writable inside an indirect table", NULL, mk_ind_order, 0 },
};

static void expect_needs_reset(const struct vdev *d, const char *name, bool early)
{
	uint32_t st = wait_status(d, S_NEEDS_RESET, S_NEEDS_RESET, TIMEOUT_US);

	if (!check(st & S_NEEDS_RESET, "%s: %s: the device sets NEEDS_RESET", d->name, name))
		diag("Status 0x%x, InterruptStatus 0x%x", st, rd(d, R_ISR));
	if (early)
		check(true, "%s: %s: refused at QueueReady, before DRIVER_OK", d->name, name);
	else
		check(rd(d, R_ISR) & ISR_CONFIG,
		      "%s: %s: InterruptStatus has the configuration change bit", d->name, name);
}

/* Any outcome; say which. */
static void note_outcome(const struct vq *q, const char *name, bool early)
{
	uint64_t end = deadline_us(100000);
	uint32_t st = 0;

	if (!early)
		while (used_idx(q) == q->last_used &&
		       !((st = rd(q->dev, R_STATUS)) & S_NEEDS_RESET) && before(end))
			;
	st = rd(q->dev, R_STATUS);
	const char *what = "nothing happened";
	if (used_idx(q) != q->last_used)
		what = "completed";
	else if (st & S_NEEDS_RESET)
		what = "NEEDS_RESET";
	wr(q->dev, R_QUEUE_SEL, q->index);
	diag("%s: %s: %s, Status 0x%x, QueueReady %u, InterruptStatus 0x%x", q->dev->name, name,
	     what, st, rd(q->dev, R_QUEUE_READY), rd(q->dev, R_ISR));
}

static bool reset_clean(struct vdev *d, unsigned nq, const char *name)
{
	uint32_t st = dev_reset(d), isr = rd(d, R_ISR), ready = 0;

	for (unsigned i = 0; i < nq; i++) {
		wr(d, R_QUEUE_SEL, i);
		ready |= rd(d, R_QUEUE_READY) << i;
	}
	bool ok = st == 0 && isr == 0 && ready == 0;
	if (!check(ok, "%s: %s: reset clears Status, InterruptStatus and QueueReady", d->name,
		   name))
		diag("Status 0x%x, InterruptStatus 0x%x, QueueReady mask 0x%x", st, isr, ready);
	return ok;
}

static void recover_blk(const char *name)
{
	bool early;

	reset_clean(&blk, 1, name);
	blk_default();
	bool ok = blk_start(&early) && !early;
	struct res r = blk_io(BLK_T_IN, 0, addr_of(data2), SECTOR);
	if (!check(ok && blk_ok(r) && memcmp(data2, sector0, SECTOR) == 0,
		   "blk: %s: a read works after the reset", name))
		diag_res(name, r);
}

static void run_blk_case(const struct bad_case *c)
{
	bool early;

	if (native && (c->flags & AT_MMIO)) {
		diag("blk: %s: skipped natively", c->name);
		return;
	}
	blk_default();
	if (c->prep)
		c->prep(&blkq);
	if (!check(blk_start(&early), "blk: %s: the device starts", c->name)) {
		diag("Status 0x%x", rd(&blk, R_STATUS));
	} else {
		if (!early)
			(c->make ? c->make : mk_std)(&blkq);
		if (c->flags & TOLERANT)
			note_outcome(&blkq, c->name, early);
		else
			expect_needs_reset(&blk, c->name, early);
	}
	recover_blk(c->name);
}

/* The GIC distributor as a DMA target: nothing reaches the real or the virtual GIC. */
static void blk_case_gicd_buffer(void)
{
	const char *name = "buffer at the GIC distributor";
	uint32_t before_regs[4] = { readl(GICD_BASE + GICD_CTLR), readl(GICD_BASE + GICD_TYPER),
				    readl(GICD_BASE + GICD_IIDR),
				    readl(GICD_BASE + GICD_ISENABLER + 4) };
	bool early;

	blk_default();
	if (check(blk_start(&early) && !early, "blk: %s: the device starts", name)) {
		mk_buf_gicd(&blkq);
		expect_needs_reset(&blk, name, false);
	}
	uint32_t after_regs[4] = { readl(GICD_BASE + GICD_CTLR), readl(GICD_BASE + GICD_TYPER),
				   readl(GICD_BASE + GICD_IIDR),
				   readl(GICD_BASE + GICD_ISENABLER + 4) };
	check(memcmp(before_regs, after_regs, sizeof(before_regs)) == 0,
	      "blk: %s: GICD registers unchanged", name);
	recover_blk(name);
}

/* After NEEDS_RESET, a good request is not processed either; the level stays up. */
static void blk_case_dead_until_reset(void)
{
	const char *name = "head index 9 then a good request";
	bool early;

	blk_default();
	if (check(blk_start(&early) && !early, "blk: %s: the device starts", name)) {
		put_std_chain(&blkq);
		vq_kick(&blkq, QSZ + 1);
		expect_needs_reset(&blk, name, false);
		check(gic_irq_pending(blk.intid), "blk: %s: INTID %u pending at the distributor",
		      name, blk.intid);
		writeb(0xff, addr_of(stat));
		vq_kick(&blkq, 0);
		check(vq_quiet(&blkq) && readb(addr_of(stat)) == 0xff,
		      "blk: %s: nothing is processed before the reset", name);
	}
	recover_blk(name);
	check(!gic_irq_pending(blk.intid), "blk: %s: INTID %u no longer pending after the reset",
	      name, blk.intid);
}

static void test_blk_bad(void)
{
	for (unsigned i = 0; i < ARRAY_SIZE(blk_cases); i++) {
		const struct bad_case *c = &blk_cases[i];
		if (c->prep == pp_qsize_big &&
		    (nscratch == 0 || blk_nummax == 0 || blk_nummax > 512)) {
			diag("blk: %s: skipped (no scratch memory)", c->name);
			continue;
		}
		run_blk_case(c);
	}
	if (blk.want & F_INDIRECT_DESC)
		for (unsigned i = 0; i < ARRAY_SIZE(blk_indirect_cases); i++)
			run_blk_case(&blk_indirect_cases[i]);
	if (!native)
		blk_case_gicd_buffer();
	blk_case_dead_until_reset();
}

/* ---------------------------------------------------------------- console: malformed input */
static void ck_tx_at(struct vq *q, uint64_t addr, uint32_t len)
{
	desc_put(q->desc, 0, addr, len, 0, 0);
	vq_kick(q, 0);
}

static void ck_outside(struct vq *q)
{
	ck_tx_at(q, ram_end, 64);
}

static void ck_gicd(struct vq *q)
{
	ck_tx_at(q, GICD_BASE, 64);
}

static void ck_huge(struct vq *q)
{
	ck_tx_at(q, ram_base + 0x1000, 0xffffffffU);
}

static void ck_head(struct vq *q)
{
	desc_put(q->desc, 0, addr_of(txtext), 4, 0, 0);
	vq_kick(q, QSZ);
}

static void ck_loop(struct vq *q)
{
	desc_put(q->desc, 0, addr_of(txtext), 4, D_NEXT, 1);
	desc_put(q->desc, 1, addr_of(txtext), 4, D_NEXT, 0);
	vq_kick(q, 0);
}

static void cp_used_outside(struct vq *q)
{
	q->used_dev = ram_end + 0x2000;
}

static void cp_desc_gicd(struct vq *q)
{
	q->desc_dev = GICD_BASE + 0x100;
}

static const struct bad_case con_cases[] = {
	{ "transmit buffer outside RAM", NULL, ck_outside, 0 },
	{ "transmit buffer at the GIC distributor", NULL, ck_gicd, AT_MMIO },
	{ "transmit buffer of 4 GiB - 1 bytes", NULL, ck_huge, 0 },
	{ "transmit head index equal to the queue size", NULL, ck_head, 0 },
	{ "transmit descriptor loop", NULL, ck_loop, 0 },
	{ "transmitq used ring outside RAM", cp_used_outside, NULL, 0 },
	{ "transmitq descriptor table at the GIC distributor", cp_desc_gicd, NULL, AT_MMIO },
};

static void run_con_case(const struct bad_case *c, unsigned n)
{
	bool early;

	if (native && (c->flags & AT_MMIO)) {
		diag("console: %s: skipped natively", c->name);
		return;
	}
	con_default();
	if (c->prep)
		c->prep(&txq);
	memcpy(txtext, "bad\n", 5);
	if (check(con_start(&early), "console: %s: the device starts", c->name)) {
		if (!early)
			c->make ? c->make(&txq) : ck_tx_at(&txq, addr_of(txtext), 4);
		expect_needs_reset(&con, c->name, early);
	}
	reset_clean(&con, 2, c->name);
	con_default();
	bool ok = con_start(&early) && !early;
	snprintf(txtext, sizeof(txtext), "VCON-6 transmit works again after bad case %u\n", n);
	struct res r = con_tx_str(txtext);
	check(ok && r.done && r.id == 0, "console: %s: a transmit works after the reset", c->name);
}

static void test_console_bad(void)
{
	for (unsigned i = 0; i < ARRAY_SIZE(con_cases); i++)
		run_con_case(&con_cases[i], i + 1);
}

/* ---------------------------------------------------------------- index wrap */
/*
 * More than 65536 requests, so both 16-bit ring indices wrap: full rings of
 * GET_ID (no disk traffic) through indirect tables, or reads without them.
 */
static void test_blk_wrap(void)
{
	const unsigned total = 65536 + 3 * QSZ;
	bool ind = blk.want & F_INDIRECT_DESC;
	unsigned per = ind ? QSZ : QSZ / 4, done = 0, bad = 0;
	uint32_t type = getid_ok ? BLK_T_GET_ID : BLK_T_IN;
	uint32_t dlen = getid_ok ? BLK_ID_BYTES : SECTOR;
	uint64_t t0 = timer_count();
	bool early;

	blk_default();
	if (!check(blk_start(&early) && !early, "blk: restart for the index wrap"))
		return;
	writew(AVAIL_F_NO_INTERRUPT, blkq.avail);
	for (unsigned k = 0; k < QSZ; k++)
		hdr_set(addr_of(hdrs[k]), type, 0);
	while (done < total && !bad) {
		for (unsigned k = 0; k < per; k++) {
			struct seg s[] = { { addr_of(hdrs[k]), 16, 0 },
					   { addr_of(data) + k * SECTOR, dlen, D_WRITE },
					   { addr_of(stat) + 32 + k, 1, D_WRITE } };
			writeb(0xff, addr_of(stat) + 32 + k);
			if (ind) {
				chain_put(addr_of(itab) + k * 48, 0, s, 3);
				desc_put(blkq.desc, k, addr_of(itab) + k * 48, 48, D_INDIRECT, 0);
				avail_push(&blkq, (uint16_t)k);
			} else {
				chain_put(blkq.desc, 3 * k, s, 3);
				avail_push(&blkq, (uint16_t)(3 * k));
			}
		}
		avail_publish(&blkq);
		vq_notify(&blkq);
		for (unsigned k = 0; k < per; k++) {
			uint32_t id, len;
			if (!vq_wait(&blkq, &id, &len, TIMEOUT_US)) {
				bad = 1;
				diag("blk: request %u not completed, used idx %u", done,
				     used_idx(&blkq));
				break;
			}
			done++;
		}
		for (unsigned k = 0; k < per && !bad; k++)
			if (readb(addr_of(stat) + 32 + k) != BLK_S_OK) {
				bad = 2;
				diag("blk: request %u: status %u", done,
				     readb(addr_of(stat) + 32 + k));
			}
	}
	uint32_t isr = isr_ack(&blk);
	diag("blk: %u requests in %lu ms; InterruptStatus with NO_INTERRUPT: 0x%x", done,
	     timer_us_from_ticks(timer_count() - t0) / 1000, isr);
	check(!bad && done == total && used_idx(&blkq) == (uint16_t)total,
	      "blk: %u requests, both ring indices wrapped past 65535", total);
	check(!(rd(&blk, R_STATUS) & S_NEEDS_RESET), "blk: no NEEDS_RESET across the wrap");
}

/* ---------------------------------------------------------------- main */
void test_main(void)
{
	struct exc_record rec;

	guest_dt_regions(find_ram, __image_start);
	if (!ram_end)
		guest_fatal("no /memory region holds the image at %p", (void *)__image_start);
	diag("RAM 0x%lx-0x%lx, image 0x%lx-0x%lx, dtb %p", ram_base, ram_end,
	     addr_of(__image_start), addr_of(__image_end), guest_dtb());
	find_scratch();
	disk_sectors_arg = arg_u64("disk-sectors", 0);
	unsigned con_slot = (unsigned)arg_u64("con-slot", 0),
		 blk_slot = (unsigned)arg_u64("blk-slot", 1);
	con.base = SLOT_BASE(con_slot);
	con.intid = SLOT_INTID(con_slot);
	blk.base = SLOT_BASE(blk_slot);
	blk.intid = SLOT_INTID(blk_slot);
	pattern_known = guest_has_arg("disk-pattern");
	native = guest_has_arg("native");

	guest_dt_regions(find_slots, NULL);
	check_dt_slot(con_slot, "virtio-console");
	check_dt_slot(blk_slot, "virtio-blk");
	check(!slot_dt[2].found, "DT: nothing declared at slot 2 (no virtio-net)");
	expect_exception();
	uint32_t id2 = readl(SLOT_BASE(2) + R_DEVICE_ID);
	bool taken = exception_taken(&rec);
	check(taken ? ESR_EC(rec.esr) == EC_DABT_CUR : id2 == 0, "slot 2: %s",
	      taken ? "an abort" : "DeviceID 0 (placeholder)");

	test_console();
	test_console_bad();

	check_ident(&blk, ID_BLOCK, 1);
	test_blk_config();
	check_access_sizes(&blk);
	check_feature_refusal(&blk);
	test_blk_driver_ok();
	test_blk_rw();
	test_blk_layouts();
	test_blk_indirect();
	test_blk_boundaries();
	test_blk_batches();
	test_blk_errors();
	test_blk_interrupt();
	test_blk_bad();
	test_blk_wrap();

	/* Leave both devices reset, as a driver shutting down does. */
	check_eq(dev_reset(&blk), 0, "blk: final reset");
	check_eq(dev_reset(&con), 0, "console: final reset");
	check_eq(readl(PL011_BASE + 0xffc) & 0xff, 0xb1, "PL011 still answers");

	char line[512];
	size_t len = (size_t)snprintf(line, sizeof(line), "disk: sectors written:");
	for (unsigned i = 0; i < nwritten && len < sizeof(line); i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, " %lu-%lu",
					written[i].first, written[i].first + written[i].count - 1);
	diag("%s", line);
}
