/* SPDX-License-Identifier: MIT */
#include <rhenium/irq.h>

#include "test.h"

static unsigned int handled[3];

static bool handler_deactivate(uint32_t intid, void *ctx)
{
	(void)intid;
	handled[*(int *)ctx]++;
	return true;
}

static bool handler_forward(uint32_t intid, void *ctx)
{
	(void)intid;
	handled[*(int *)ctx]++;
	return false;
}

TEST(irq_dispatch_calls_the_registered_handler)
{
	static int zero = 0, one = 1;
	uint64_t unhandled = irq_unhandled_count();

	REQUIRE(irq_register(27, handler_forward, &zero) == 0);
	REQUIRE(irq_register(33, handler_deactivate, &one) == 0);
	CHECK(!irq_dispatch(27));
	CHECK(irq_dispatch(33));
	CHECK_EQ(handled[0], 1);
	CHECK_EQ(handled[1], 1);
	/* No handler: deactivated so it cannot block its priority, and counted. */
	CHECK(irq_dispatch(40));
	CHECK(irq_dispatch(5000));
	CHECK_EQ(irq_unhandled_count(), unhandled + 2);
}

TEST(irq_register_rejects_bad_input_and_conflicts)
{
	static int two = 2;

	CHECK(irq_register(IRQ_MAX_INTID, handler_deactivate, &two) != 0);
	CHECK(irq_register(50, NULL, &two) != 0);
	REQUIRE(irq_register(51, handler_deactivate, &two) == 0);
	CHECK(irq_register(51, handler_forward, &two) != 0);
	/* Same handler again (new context) is allowed: re-initialisation after a VM reset. */
	CHECK(irq_register(51, handler_deactivate, &two) == 0);
}
