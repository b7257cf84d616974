/* SPDX-License-Identifier: MIT */
/* The monitor prompt on the host: no VMs exist here, so only the prompt's own behaviour. */
#include <string.h>

#include <rhenium/console.h>
#include <rhenium/monitor.h>

#include "test.h"

static char mon_out[4096];
static size_t mon_len;

static void mon_putc(void *ctx, char c)
{
	(void)ctx;
	if (mon_len < sizeof(mon_out) - 1)
		mon_out[mon_len++] = c;
	mon_out[mon_len] = '\0';
}

static const struct console_driver mon_console = { "monitor-test", mon_putc, NULL };

static void mon_start(void)
{
	mon_len = 0;
	mon_out[0] = '\0';
	console_set_driver(&mon_console);
}

TEST(monitor_commands_and_errors)
{
	mon_start();
	monitor_execute("help");
	CHECK(strstr(mon_out, "restart NAME") != NULL);
	mon_start();
	monitor_execute("frobnicate now");
	CHECK(strstr(mon_out, "unknown command 'frobnicate'") != NULL);
	mon_start();
	monitor_execute("stop linux-z");
	CHECK(strstr(mon_out, "stop: no VM named 'linux-z'") != NULL);
	mon_start();
	monitor_execute("list");
	CHECK(strstr(mon_out, "NAME") != NULL && strstr(mon_out, "STATE") != NULL);
	mon_start();
	monitor_execute("mem");
	CHECK(strstr(mon_out, "host pages:") != NULL);
	mon_start();
	monitor_execute("");
	CHECK_EQ(mon_len, 0);
	console_set_driver(NULL);
}

TEST(monitor_prompt_edits_and_runs_lines)
{
	const uint8_t typed[] = "hepl\x7f\x7flp\r";

	/* No VM runs: the prompt has the console. */
	monitor_init();
	mon_start();
	console_input_push(typed, sizeof(typed) - 1);
	monitor_poll();
	CHECK(strstr(mon_out, "hepl\b \b\b \blp") != NULL); /* echo and erase */
	CHECK(strstr(mon_out, "switch NAME") != NULL);	    /* "help" ran */
	CHECK(strstr(mon_out, "rhenium> ") != NULL);
	/* With no VM to go back to, the escape key keeps the prompt. */
	mon_start();
	console_input_push((const uint8_t *)"\x1d", 1);
	monitor_poll();
	CHECK_EQ(mon_len, 0);
	console_set_driver(NULL);
}
