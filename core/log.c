/* SPDX-License-Identifier: MIT */
#include <rhenium/arch.h>
#include <rhenium/console.h>
#include <rhenium/format.h>
#include <rhenium/log.h>
#include <rhenium/string.h>

#define LOG_LINE_MAX 256

static enum log_level log_level = LOG_LEVEL_INFO;

static const char *const log_level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

void log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level log_get_level(void)
{
	return log_level;
}

bool log_level_from_name(const char *name, size_t len, enum log_level *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(log_level_names); i++) {
		if (strlen(log_level_names[i]) == len &&
		    strncmp(log_level_names[i], name, len) == 0) {
			*out = (enum log_level)i;
			return true;
		}
	}
	return false;
}

void log_enable_locking(void)
{
	console_enable_locking();
}

static void log_emit(const char *buf, size_t len)
{
	console_write(buf, len);
}

static size_t log_clamp(int n, size_t size)
{
	if (n < 0)
		return 0;
	return (size_t)n < size ? (size_t)n : size - 1;
}

void log_vprintf(enum log_level level, const char *fmt, va_list ap)
{
	static const char *const tags[] = { "ERROR", "WARN ", "INFO ", "DEBUG" };
	char buf[LOG_LINE_MAX];
	uint64_t freq = arch_counter_freq();
	uint64_t now = arch_counter_read();
	uint64_t secs = freq ? now / freq : 0;
	uint64_t usecs = freq ? (now % freq) * 1000000 / freq : 0;
	size_t len;

	if (level > log_level)
		return;

	len = log_clamp(fmt_snprintf(buf, sizeof(buf), "[%5llu.%06llu] cpu%u %s ",
				     (unsigned long long)secs, (unsigned long long)usecs,
				     arch_cpu_index(), tags[level]),
			sizeof(buf));
	len += log_clamp(fmt_vsnprintf(buf + len, sizeof(buf) - len, fmt, ap), sizeof(buf) - len);
	/* A truncated message still ends its line so the next one starts clean. */
	if (len == sizeof(buf) - 1 || len == 0 || buf[len - 1] != '\n') {
		if (len == sizeof(buf) - 1)
			len--;
		buf[len++] = '\n';
		buf[len] = '\0';
	}
	log_emit(buf, len);
}

void log_printf(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprintf(level, fmt, ap);
	va_end(ap);
}

void log_raw(const char *fmt, ...)
{
	char buf[LOG_LINE_MAX];
	va_list ap;
	size_t len;

	va_start(ap, fmt);
	len = log_clamp(fmt_vsnprintf(buf, sizeof(buf), fmt, ap), sizeof(buf));
	va_end(ap);
	log_emit(buf, len);
}
