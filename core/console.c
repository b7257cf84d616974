/* SPDX-License-Identifier: MIT */
#include <rhenium/console.h>
#include <rhenium/spinlock.h>

static const struct console_driver *console_driver;
static struct spinlock console_out_lock = SPINLOCK_INIT;
static bool console_locking;

static struct {
	struct spinlock lock;
	uint8_t buf[CONSOLE_INPUT_SIZE];
	size_t head;
	size_t count;
	uint64_t dropped;
} console_in;

void console_set_driver(const struct console_driver *drv)
{
	console_driver = drv;
}

void console_enable_locking(void)
{
	console_locking = true;
}

static void console_lock(void)
{
	if (console_locking)
		spinlock_lock(&console_out_lock);
}

static void console_unlock(void)
{
	if (console_locking)
		spinlock_unlock(&console_out_lock);
}

void console_write(const char *s, size_t len)
{
	const struct console_driver *drv = console_driver;

	if (!drv)
		return;
	console_lock();
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			drv->putc(drv->ctx, '\r');
		drv->putc(drv->ctx, s[i]);
	}
	console_unlock();
}

void console_output_raw(const char *s, size_t len)
{
	const struct console_driver *drv = console_driver;

	if (!drv)
		return;
	console_lock();
	for (size_t i = 0; i < len; i++)
		drv->putc(drv->ctx, s[i]);
	console_unlock();
}

void console_input_push(const uint8_t *buf, size_t len)
{
	spinlock_lock(&console_in.lock);
	for (size_t i = 0; i < len; i++) {
		if (console_in.count == CONSOLE_INPUT_SIZE) {
			console_in.dropped += len - i;
			break;
		}
		console_in.buf[(console_in.head + console_in.count) % CONSOLE_INPUT_SIZE] = buf[i];
		console_in.count++;
	}
	spinlock_unlock(&console_in.lock);
}

bool console_input_pending(void)
{
	return __atomic_load_n(&console_in.count, __ATOMIC_RELAXED) != 0;
}

size_t console_input_read(uint8_t *buf, size_t max)
{
	size_t n = 0;

	/* Racy peek first: the common case is no input, and it must stay cheap. */
	if (!__atomic_load_n(&console_in.count, __ATOMIC_RELAXED))
		return 0;
	spinlock_lock(&console_in.lock);
	while (n < max && console_in.count) {
		buf[n++] = console_in.buf[console_in.head];
		console_in.head = (console_in.head + 1) % CONSOLE_INPUT_SIZE;
		console_in.count--;
	}
	spinlock_unlock(&console_in.lock);
	return n;
}

uint64_t console_input_dropped(void)
{
	return console_in.dropped;
}
