/* SPDX-License-Identifier: MIT */
#include <rhenium/mmio.h>
#include <rhenium/string.h>

/* Inclusive end, so a region may end at the very top of the address space. */
static paddr_t mmio_last(const struct mmio_region *r)
{
	return r->base + (r->size - 1);
}

static bool mmio_size_valid(unsigned int size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

static uint64_t mmio_truncate(uint64_t value, unsigned int size)
{
	return size == 8 ? value : value & ((1ULL << (size * 8)) - 1);
}

/* Relaxed atomics: several vCPUs may hit one device; the counts only feed monitoring. */
static void mmio_count(uint64_t *counter)
{
	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

void mmio_bus_init(struct mmio_bus *bus)
{
	memset(bus, 0, sizeof(*bus));
}

int mmio_register(struct mmio_bus *bus, paddr_t base, uint64_t size, const char *name,
		  const struct mmio_ops *ops, void *ctx)
{
	struct mmio_region *r;

	if (size == 0 || ops == NULL || base + (size - 1) < base)
		return MMIO_ERR_INVALID;
	for (unsigned int i = 0; i < bus->count; i++) {
		const struct mmio_region *o = &bus->regions[i];

		if (base <= mmio_last(o) && o->base <= base + (size - 1))
			return MMIO_ERR_OVERLAP;
	}
	if (bus->count == MMIO_MAX_REGIONS)
		return MMIO_ERR_FULL;
	r = &bus->regions[bus->count];
	memset(r, 0, sizeof(*r));
	r->base = base;
	r->size = size;
	str_copy(r->name, name ? name : "", sizeof(r->name));
	r->ops = ops;
	r->ctx = ctx;
	bus->count++;
	return 0;
}

static int mmio_index(const struct mmio_bus *bus, paddr_t ipa)
{
	for (unsigned int i = 0; i < bus->count; i++) {
		const struct mmio_region *r = &bus->regions[i];

		if (ipa >= r->base && ipa <= mmio_last(r))
			return (int)i;
	}
	return -1;
}

const struct mmio_region *mmio_find(const struct mmio_bus *bus, paddr_t ipa)
{
	int i = mmio_index(bus, ipa);

	return i < 0 ? NULL : &bus->regions[i];
}

int mmio_dispatch(struct mmio_bus *bus, unsigned int vcpu, paddr_t ipa, unsigned int size,
		  bool is_write, uint64_t *value)
{
	int i = mmio_index(bus, ipa);
	struct mmio_region *r;
	mmio_access_fn fn;
	uint64_t offset;
	uint64_t data;

	if (i < 0) {
		mmio_count(&bus->unmapped);
		return MMIO_UNMAPPED;
	}
	r = &bus->regions[i];
	offset = ipa - r->base;
	fn = is_write ? r->ops->write : r->ops->read;
	/* offset <= size - 1 here, so the subtraction cannot wrap. */
	if (!mmio_size_valid(size) || size - 1 > r->size - 1 - offset || fn == NULL) {
		mmio_count(&r->refused);
		return MMIO_REFUSED;
	}
	/* A device never sees, nor returns, bits beyond the access size. */
	data = is_write ? mmio_truncate(*value, size) : 0;
	if (fn(r->ctx, vcpu, offset, size, &data) != 0) {
		mmio_count(&r->refused);
		return MMIO_REFUSED;
	}
	if (!is_write)
		*value = mmio_truncate(data, size);
	mmio_count(is_write ? &r->writes : &r->reads);
	return MMIO_OK;
}

int mmio_emulate_dabt(struct mmio_bus *bus, unsigned int vcpu, const struct abort_dabt *d,
		      paddr_t ipa, uint64_t x[31])
{
	uint64_t value;
	int status;

	/* Cache maintenance to device memory has nothing to maintain; KVM does the same. */
	if (d->cm && !d->s1ptw)
		return MMIO_OK;
	if (!abort_dabt_can_emulate(d))
		return MMIO_NO_SYNDROME;
	if (d->write) {
		value = abort_dabt_store_value(d, abort_gpr_get(x, d->reg));
		return mmio_dispatch(bus, vcpu, ipa, d->size, true, &value);
	}
	status = mmio_dispatch(bus, vcpu, ipa, d->size, false, &value);
	if (status == MMIO_OK)
		abort_gpr_set(x, d->reg, abort_dabt_load_value(d, value));
	return status;
}
