/* SPDX-License-Identifier: MIT */
#include <rhenium/arch.h>
#include <rhenium/console.h>
#include <rhenium/disk.h>
#include <rhenium/format.h>
#include <rhenium/guest_dt.h>
#include <rhenium/image.h>
#include <rhenium/log.h>
#include <rhenium/mm.h>
#include <rhenium/monitor.h>
#include <rhenium/string.h>
#include <rhenium/vm.h>

#define VM_RAM_ALIGN_ORDER 9 /* 2 MiB: Stage-2 can use block mappings */

/* Stage-2 attributes for guest RAM: Normal write-back, read/write, executable. */
#define VM_S2_RAM_ATTRS (PTE_S2_MEMATTR(S2_MEMATTR_NORMAL_WB) | PTE_S2AP_RW | PTE_SH_INNER | PTE_AF)

static uint8_t vm_dt_buffer[GUEST_DT_MAX_SIZE];

static paddr_t vm_s2_alloc(unsigned int pages, void *ctx)
{
	(void)ctx;
	return mm_alloc_table_pages(pages);
}

static void vm_s2_free(paddr_t pa, unsigned int pages, void *ctx)
{
	(void)ctx;
	mm_free_pages(pa, pages);
}

static void *vm_s2_pa_to_va(paddr_t pa, void *ctx)
{
	(void)ctx;
	return mm_phys_to_virt(pa);
}

static void vm_s2_sync(void *ctx)
{
	(void)ctx;
	arch_guest_memory_written(NULL, 0);
}

/* The tables are complete before the VM first runs and only change while it is stopped. */
static const struct pgtable_ops vm_s2_ops = {
	.alloc_pages = vm_s2_alloc,
	.free_pages = vm_s2_free,
	.pa_to_va = vm_s2_pa_to_va,
	.tlb_invalidate = NULL,
	.sync = vm_s2_sync,
};

/* ---- devices ---- */

static int vm_gicd_read(void *ctx, unsigned int vcpu, uint64_t offset, unsigned int size,
			uint64_t *value)
{
	vgic_dist_mmio(ctx, vcpu, offset, size, false, value);
	return 0;
}

static int vm_gicd_write(void *ctx, unsigned int vcpu, uint64_t offset, unsigned int size,
			 uint64_t *value)
{
	vgic_dist_mmio(ctx, vcpu, offset, size, true, value);
	return 0;
}

static int vm_gicr_read(void *ctx, unsigned int vcpu, uint64_t offset, unsigned int size,
			uint64_t *value)
{
	vgic_redist_mmio(ctx, vcpu, offset, size, false, value);
	return 0;
}

static int vm_gicr_write(void *ctx, unsigned int vcpu, uint64_t offset, unsigned int size,
			 uint64_t *value)
{
	vgic_redist_mmio(ctx, vcpu, offset, size, true, value);
	return 0;
}

static const struct mmio_ops vm_gicd_ops = { vm_gicd_read, vm_gicd_write };
static const struct mmio_ops vm_gicr_ops = { vm_gicr_read, vm_gicr_write };

static int vm_uart_read(void *ctx, unsigned int vcpu, uint64_t offset, unsigned int size,
			uint64_t *value)
{
	struct vm *vm = ctx;
	int ret;

	(void)vcpu;
	spinlock_lock(&vm->uart_lock);
	ret = vpl011_read(&vm->uart, offset, size, value);
	spinlock_unlock(&vm->uart_lock);
	return ret;
}

static int vm_uart_write(void *ctx, unsigned int vcpu, uint64_t offset, unsigned int size,
			 uint64_t *value)
{
	struct vm *vm = ctx;
	int ret;

	(void)vcpu;
	spinlock_lock(&vm->uart_lock);
	ret = vpl011_write(&vm->uart, offset, size, *value);
	spinlock_unlock(&vm->uart_lock);
	return ret;
}

static const struct mmio_ops vm_uart_mmio_ops = { vm_uart_read, vm_uart_write };

static void vm_uart_tx(void *ctx, uint8_t c)
{
	monitor_vm_output(ctx, c);
}

static void vm_uart_set_irq(void *ctx, bool level)
{
	struct vm *vm = ctx;

	vgic_set_line(&vm->vgic, 0, VM_UART_INTID, level);
}

static const struct vpl011_ops vm_uart_ops = { vm_uart_tx, vm_uart_set_irq };

static void vm_vgic_kick(void *ctx, unsigned int vcpu)
{
	struct vm *vm = ctx;

	if (vcpu < vm->vcpu_count)
		vcpu_kick(&vm->vcpus[vcpu]);
}

static void vm_vgic_deactivate_hw(void *ctx, unsigned int vcpu, uint32_t pintid)
{
	(void)ctx;
	(void)vcpu;
	arch_irq_deactivate(pintid);
}

static void vm_vgic_log(void *ctx, const char *msg)
{
	struct vm *vm = ctx;

	LOG_WARN("%s: vgic: %s", vm->cfg.name, msg);
}

static const struct vgic_ops vm_vgic_ops = { vm_vgic_kick, vm_vgic_deactivate_hw, vm_vgic_log };

/* ---- virtio devices ---- */

static void *vm_ipa_to_va(const struct vm *vm, paddr_t ipa)
{
	return mm_phys_to_virt(vm->ram_pa + (ipa - vm->ram_ipa));
}

static bool vm_has(const struct vm *vm, uint32_t device)
{
	return vm->cfg.devices & device;
}

static void vm_virtio_set_irq(void *ctx, bool level)
{
	struct vm_irq_line *line = ctx;

	vgic_set_line(&line->vm->vgic, 0, line->intid, level);
}

static void vm_virtio_console_output(void *ctx, const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		monitor_vm_output(ctx, buf[i]);
}

static struct virtio_mmio *vm_virtio_transport(struct vm *vm, enum vm_virtio_slot slot)
{
	switch (slot) {
	case VM_VIRTIO_CONSOLE:
		return vm_has(vm, VM_DEVICE_VIRTIO_CONSOLE) ? &vm->vcon.transport : NULL;
	case VM_VIRTIO_BLK:
		return vm_has(vm, VM_DEVICE_VIRTIO_BLK) ? &vm->vblk.transport : NULL;
	case VM_VIRTIO_NET:
		return vm_has(vm, VM_DEVICE_VIRTIO_NET) ? &vm->vnet.transport : NULL;
	default:
		return NULL;
	}
}

/* The disk region must exist on the physical disk: checked here, where the disk is known. */
static int vm_virtio_check_disk(const struct vm *vm)
{
	const struct vm_config *cfg = &vm->cfg;
	uint64_t end = (cfg->disk_offset + cfg->disk_size) / DISK_SECTOR_SIZE;

	if (!disk_present()) {
		LOG_ERROR(
			"%s: virtio-blk: there is no physical disk (QEMU: -drive file=...,if=none,"
			"id=d -device virtio-blk-device,drive=d)",
			cfg->name);
		return -1;
	}
	if (end > disk_sectors()) {
		LOG_ERROR("%s: virtio-blk: disk region 0x%llx+0x%llx ends past the disk (%llu MiB)",
			  cfg->name, (unsigned long long)cfg->disk_offset,
			  (unsigned long long)cfg->disk_size,
			  (unsigned long long)(disk_sectors() * DISK_SECTOR_SIZE >> 20));
		return -1;
	}
	return 0;
}

/* Once per VM: the devices keep their identity (switch port, disk region) across resets. */
static int vm_virtio_create(struct vm *vm)
{
	const struct vm_config *cfg = &vm->cfg;
	char id[VIRTIO_BLK_ID_BYTES + 1];
	uint8_t mac[VSWITCH_ETH_ALEN] = { 0x02, 0x52, 0x48, 0x00, 0x00, 0x00 };

	vm->guest_mem.ipa = vm->ram_ipa;
	vm->guest_mem.size = vm->ram_size;
	vm->guest_mem.va = vm_ipa_to_va(vm, vm->ram_ipa);
	for (unsigned int slot = 0; slot < VM_VIRTIO_SLOTS; slot++) {
		vm->virtio_irq[slot].vm = vm;
		vm->virtio_irq[slot].intid = 32 + GUEST_VIRT_VIRTIO_SPI + slot;
	}
	if (vm_has(vm, VM_DEVICE_VIRTIO_CONSOLE))
		virtio_console_init(&vm->vcon, cfg->name, &vm->guest_mem, vm_virtio_set_irq,
				    &vm->virtio_irq[VM_VIRTIO_CONSOLE], vm_virtio_console_output,
				    vm);
	if (vm_has(vm, VM_DEVICE_VIRTIO_BLK)) {
		if (vm_virtio_check_disk(vm))
			return -1;
		fmt_snprintf(id, sizeof(id), "rhenium-%s", cfg->name);
		virtio_blk_init(&vm->vblk, cfg->name, &vm->guest_mem, vm->ram_pa,
				cfg->disk_offset / DISK_SECTOR_SIZE,
				cfg->disk_size / DISK_SECTOR_SIZE, id, vm_virtio_set_irq,
				&vm->virtio_irq[VM_VIRTIO_BLK]);
		LOG_INFO("%s: virtio-blk: %llu MiB at disk offset 0x%llx", cfg->name,
			 (unsigned long long)(cfg->disk_size >> 20),
			 (unsigned long long)cfg->disk_offset);
	}
	if (vm_has(vm, VM_DEVICE_VIRTIO_NET)) {
		mac[5] = (uint8_t)(vm->id + 1);
		if (virtio_net_init(&vm->vnet, cfg->name, &vm->guest_mem, mac, vm_virtio_set_irq,
				    &vm->virtio_irq[VM_VIRTIO_NET])) {
			LOG_ERROR("%s: virtio-net: the virtual switch has no port left", cfg->name);
			return -1;
		}
		LOG_INFO("%s: virtio-net: MAC %02x:%02x:%02x:%02x:%02x:%02x on switch port %d",
			 cfg->name, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], vm->vnet.port);
	}
	return 0;
}

/* Device reset and MMIO regions, on creation and every VM reset. */
static int vm_virtio_init(struct vm *vm)
{
	for (unsigned int slot = 0; slot < VM_VIRTIO_SLOTS; slot++) {
		struct virtio_mmio *t = vm_virtio_transport(vm, slot);

		if (!t)
			continue;
		virtio_mmio_reset(t);
		if (mmio_register(&vm->mmio, GUEST_VIRT_VIRTIO_BASE + slot * GUEST_VIRT_VIRTIO_SIZE,
				  VIRTIO_MMIO_SIZE, t->dev->name, &virtio_mmio_ops, t))
			return -1;
	}
	return 0;
}

static unsigned int vm_virtio_dt_devices(struct vm *vm, struct guest_dt_device *devs)
{
	unsigned int n = 0;

	for (unsigned int slot = 0; slot < VM_VIRTIO_SLOTS; slot++) {
		if (!vm_virtio_transport(vm, slot))
			continue;
		devs[n].name = "virtio_mmio";
		devs[n].compatible = "virtio,mmio";
		devs[n].base = GUEST_VIRT_VIRTIO_BASE + slot * GUEST_VIRT_VIRTIO_SIZE;
		devs[n].size = GUEST_VIRT_VIRTIO_SIZE;
		devs[n].spi = GUEST_VIRT_VIRTIO_SPI + slot;
		/* Level, unlike QEMU's edge: the line follows InterruptStatus, so nothing is lost. */
		devs[n].trigger = GUEST_DT_LEVEL_HIGH;
		n++;
	}
	return n;
}

size_t vm_console_input(struct vm *vm, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	spinlock_lock(&vm->console_lock);
	while (n < len && vm->input_count < sizeof(vm->input)) {
		vm->input[(vm->input_head + vm->input_count) % sizeof(vm->input)] = buf[n++];
		vm->input_count++;
	}
	spinlock_unlock(&vm->console_lock);
	if (n)
		vcpu_kick(&vm->vcpus[0]);
	return n;
}

/* With uart_lock held (it serialises delivery): input to the guest's virtio console. */
static void vm_console_poll_virtio(struct vm *vm)
{
	uint8_t buf[64];
	size_t n = 0, taken;

	spinlock_lock(&vm->console_lock);
	while (n < sizeof(buf) && n < vm->input_count) {
		buf[n] = vm->input[(vm->input_head + n) % sizeof(vm->input)];
		n++;
	}
	spinlock_unlock(&vm->console_lock);
	taken = virtio_console_receive(&vm->vcon, buf, n);
	spinlock_lock(&vm->console_lock);
	vm->input_head = (vm->input_head + taken) % sizeof(vm->input);
	vm->input_count -= taken;
	spinlock_unlock(&vm->console_lock);
}

void vm_console_poll(struct vm *vm)
{
	uint8_t buf[32];
	size_t room, n = 0;

	/* Racy peek first: called after every exit, and almost always idle. */
	if (!__atomic_load_n(&vm->input_count, __ATOMIC_RELAXED))
		return;
	spinlock_lock(&vm->uart_lock);
	/* A VM with a virtio console reads its input there once its driver runs. */
	if (vm_has(vm, VM_DEVICE_VIRTIO_CONSOLE) && virtio_console_ready(&vm->vcon)) {
		vm_console_poll_virtio(vm);
		spinlock_unlock(&vm->uart_lock);
		return;
	}
	room = MIN(vpl011_rx_room(&vm->uart), sizeof(buf));
	spinlock_lock(&vm->console_lock);
	while (n < room && vm->input_count) {
		buf[n++] = vm->input[vm->input_head];
		vm->input_head = (vm->input_head + 1) % sizeof(vm->input);
		vm->input_count--;
	}
	spinlock_unlock(&vm->console_lock);
	if (n)
		vpl011_receive(&vm->uart, buf, n);
	spinlock_unlock(&vm->uart_lock);
}

/* ---- memory and images ---- */

static int vm_load_images(struct vm *vm)
{
	const struct vm_config *cfg = &vm->cfg;
	const void *kernel = mm_phys_to_virt(cfg->kernel.pa);
	struct image_info img;
	struct image_layout layout;
	struct guest_dt_config dt = { 0 };
	struct guest_dt_device devices[VM_VIRTIO_SLOTS];
	char err[160];
	size_t dt_size;
	int ret;

	/* A reboot starts from clean memory, and nothing of a previous guest leaks. */
	arch_memzero(vm_ipa_to_va(vm, vm->ram_ipa), vm->ram_size);

	ret = image_parse(kernel, MIN(cfg->kernel.size, (uint64_t)IMAGE_HEADER_SIZE),
			  cfg->kernel.size, &img, err, sizeof(err));
	if (ret == IMAGE_OK)
		ret = image_place(&img, vm->ram_ipa, vm->ram_size, GUEST_DT_MAX_SIZE,
				  cfg->initrd.size, &layout, err, sizeof(err));
	if (ret != IMAGE_OK) {
		LOG_ERROR("%s: kernel: %s", cfg->name, err);
		return -1;
	}

	memcpy(vm_ipa_to_va(vm, layout.load), kernel, cfg->kernel.size);
	arch_guest_memory_written(vm_ipa_to_va(vm, layout.load), cfg->kernel.size);
	if (cfg->initrd.size) {
		memcpy(vm_ipa_to_va(vm, layout.initrd_start), mm_phys_to_virt(cfg->initrd.pa),
		       cfg->initrd.size);
		arch_guest_memory_written(vm_ipa_to_va(vm, layout.initrd_start), cfg->initrd.size);
	}

	dt.ram_base = vm->ram_ipa;
	dt.ram_size = vm->ram_size;
	dt.vcpu_count = vm->vcpu_count;
	dt.gicd_base = GUEST_VIRT_GICD_BASE;
	dt.gicr_base = GUEST_VIRT_GICR_BASE;
	dt.uart_base = GUEST_VIRT_UART_BASE;
	dt.uart_spi = GUEST_VIRT_UART_SPI;
	dt.psci_conduit = PSCI_CONDUIT_HVC;
	dt.pmu_ppi = arch_vcpu_pmu_intid() ? arch_vcpu_pmu_intid() - 16 : 0;
	dt.bootargs = cfg->bootargs[0] ? cfg->bootargs : NULL;
	dt.initrd_start = layout.initrd_start;
	dt.initrd_end = layout.initrd_end;
	dt.devices = devices;
	dt.device_count = vm_virtio_dt_devices(vm, devices);
	ret = guest_dt_build(&dt, vm_dt_buffer, sizeof(vm_dt_buffer), &dt_size, err, sizeof(err));
	if (ret != GUEST_DT_OK) {
		LOG_ERROR("%s: device tree: %s", cfg->name, err);
		return -1;
	}
	memcpy(vm_ipa_to_va(vm, layout.dtb), vm_dt_buffer, dt_size);
	arch_guest_memory_written(vm_ipa_to_va(vm, layout.dtb), dt_size);

	vm->entry_ipa = layout.entry;
	vm->dtb_ipa = layout.dtb;
	LOG_INFO("%s: kernel at 0x%llx (entry 0x%llx, %s), dtb at 0x%llx (%zu bytes)", cfg->name,
		 (unsigned long long)layout.load, (unsigned long long)layout.entry,
		 img.arm64 ? "arm64 Image" : "raw binary", (unsigned long long)layout.dtb, dt_size);
	if (cfg->initrd.size)
		LOG_INFO("%s: initrd at 0x%llx-0x%llx", cfg->name,
			 (unsigned long long)layout.initrd_start,
			 (unsigned long long)layout.initrd_end - 1);
	return 0;
}

static int vm_init_devices(struct vm *vm)
{
	struct vgic_config gcfg = { 0 };
	int ret;

	gcfg.nr_vcpus = vm->vcpu_count;
	gcfg.nr_spis = 64;
	gcfg.pri_bits = arch_vgic_priority_bits();
	for (unsigned int i = 0; i < vm->vcpu_count; i++)
		gcfg.mpidr[i] = vm->vcpus[i].mpidr;
	gcfg.ops = &vm_vgic_ops;
	gcfg.ctx = vm;
	if (vgic_init(&vm->vgic, &gcfg) != VGIC_OK) {
		LOG_ERROR("%s: cannot configure the vGIC", vm->cfg.name);
		return -1;
	}
	vpl011_init(&vm->uart, &vm_uart_ops, vm);

	mmio_bus_init(&vm->mmio);
	ret = mmio_register(&vm->mmio, GUEST_VIRT_GICD_BASE, VGIC_DIST_SIZE, "gicd", &vm_gicd_ops,
			    &vm->vgic);
	if (!ret)
		ret = mmio_register(&vm->mmio, GUEST_VIRT_GICR_BASE, vgic_redist_size(&vm->vgic),
				    "gicr", &vm_gicr_ops, &vm->vgic);
	if (!ret)
		ret = mmio_register(&vm->mmio, GUEST_VIRT_UART_BASE, VPL011_MMIO_SIZE, "pl011",
				    &vm_uart_mmio_ops, vm);
	if (!ret)
		ret = vm_virtio_init(vm);
	if (ret) {
		LOG_ERROR("%s: cannot register the emulated devices (%d)", vm->cfg.name, ret);
		return -1;
	}
	return 0;
}

static void vm_reset_vcpus(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->vcpu_count; i++) {
		struct vcpu *v = &vm->vcpus[i];

		arch_vcpu_init(v);
		vcpu_reset(v, vm->entry_ipa, vm->dtb_ipa);
		/* Whichever CPU runs it must load the reset state, not keep the old one. */
		v->reload = true;
		/* Secondaries wait for PSCI CPU_ON from the guest. */
		v->state = i == 0 ? VCPU_RUNNABLE : VCPU_OFF;
	}
}

int vm_create(struct vm *vm, unsigned int id, const struct vm_config *cfg)
{
	unsigned int ipa_bits, start_level;
	int ret;

	memset(vm, 0, sizeof(*vm));
	vm->cfg = *cfg;
	vm->id = id;
	vm->vmid = (uint16_t)(id + 1); /* VMID 0 is left unused so stray TLB entries stand out */
	vm->vcpu_count = cfg->vcpus;
	vm->ram_ipa = GUEST_VIRT_RAM_BASE;
	vm->ram_size = cfg->mem_size;
	vm->uart_lock = (struct spinlock)SPINLOCK_INIT;
	vm->console_lock = (struct spinlock)SPINLOCK_INIT;

	vm->ram_pa = mm_alloc_pages(vm->ram_size / PAGE_SIZE, VM_RAM_ALIGN_ORDER);
	if (!vm->ram_pa) {
		LOG_ERROR("%s: cannot allocate %llu MiB of RAM (%zu MiB free)", cfg->name,
			  (unsigned long long)(vm->ram_size >> 20),
			  (size_t)(mm_free_page_count() * PAGE_SIZE >> 20));
		return -1;
	}

	arch_stage2_geometry(&ipa_bits, &start_level);
	ret = pgtable_init(&vm->s2, PGT_STAGE2, ipa_bits, start_level, &vm_s2_ops, vm);
	if (ret == PGT_OK)
		ret = pgtable_map(&vm->s2, vm->ram_ipa, vm->ram_pa, vm->ram_size, VM_S2_RAM_ATTRS,
				  0);
	if (ret != PGT_OK) {
		LOG_ERROR("%s: stage-2 tables: error %d", cfg->name, ret);
		return -1;
	}

	for (unsigned int i = 0; i < vm->vcpu_count; i++) {
		vm->vcpus[i].vm = vm;
		vm->vcpus[i].index = i;
		vm->vcpus[i].mpidr = guest_dt_vcpu_mpidr(i);
	}
	if (vm_virtio_create(vm) || vm_init_devices(vm) || vm_load_images(vm))
		return -1;
	vm_reset_vcpus(vm);
	vm->state = VM_STATE_RUNNING;
	LOG_INFO("%s: %u vCPU(s), %llu MiB at IPA 0x%llx (PA 0x%llx), %u-bit IPA, VMID %u",
		 cfg->name, vm->vcpu_count, (unsigned long long)(vm->ram_size >> 20),
		 (unsigned long long)vm->ram_ipa, (unsigned long long)vm->ram_pa, ipa_bits,
		 vm->vmid);
	return 0;
}

int vm_reset(struct vm *vm)
{
	LOG_INFO("%s: reset", vm->cfg.name);
	vm->resets++;
	/* A read still in flight would land in the freshly loaded images. */
	if (vm_has(vm, VM_DEVICE_VIRTIO_BLK))
		virtio_blk_quiesce(&vm->vblk);
	if (vm_init_devices(vm) || vm_load_images(vm)) {
		vm->state = VM_STATE_STOPPED;
		return -1;
	}
	arch_stage2_tlb_flush_vmid(vm->vmid);
	vm_reset_vcpus(vm);
	vm->state = VM_STATE_RUNNING;
	return 0;
}

void vm_stop(struct vm *vm)
{
	vm->state = VM_STATE_STOPPED;
	for (unsigned int i = 0; i < vm->vcpu_count; i++) {
		vm->vcpus[i].state = VCPU_STOPPED;
		vcpu_kick(&vm->vcpus[i]);
	}
}
