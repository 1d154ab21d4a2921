/*
 * options.c - ESHMOptions: the options beyond ESHMConfig, each setter
 * validating its value so eshm_init_with_options() can trust the set.
 */
#include <stdlib.h>
#include <string.h>

#include "handle.h"

ESHM_EXPORT ESHMOptions *
eshm_options_new(void)
{
	ESHMOptions *o = calloc(1, sizeof(*o));

	if (o == NULL)
		return NULL;
	o->capacity = SEG_CAPACITY_DEFAULT;
	o->heartbeat_period_us = ESHM_HEARTBEAT_US_DEFAULT;
	o->connect_timeout_ms = ESHM_CONNECT_MS_DEFAULT;
	o->observed = ESHM_ROLE_MASTER;
	return o;
}

ESHM_EXPORT void
eshm_options_free(ESHMOptions *options)
{
	free(options);
}

ESHM_EXPORT int
eshm_options_set_capacity(ESHMOptions *options, size_t capacity)
{
	if (options == NULL || capacity == 0 || capacity > SEG_CAPACITY_MAX)
		return ESHM_ERROR_INVALID_PARAM;
	options->capacity = capacity;
	return ESHM_SUCCESS;
}

ESHM_EXPORT int
eshm_options_set_heartbeat_period_us(ESHMOptions *options, uint32_t period_us)
{
	if (options == NULL || period_us < ESHM_HEARTBEAT_US_MIN || period_us > ESHM_HEARTBEAT_US_MAX)
		return ESHM_ERROR_INVALID_PARAM;
	options->heartbeat_period_us = period_us;
	return ESHM_SUCCESS;
}

ESHM_EXPORT int
eshm_options_set_socket_path(ESHMOptions *options, const char *path)
{
	size_t len;

	if (options == NULL || path == NULL)
		return ESHM_ERROR_INVALID_PARAM;
	len = strlen(path);
	if (len == 0 || len >= sizeof(options->socket_path))
		return ESHM_ERROR_INVALID_PARAM;
	memcpy(options->socket_path, path, len + 1);
	return ESHM_SUCCESS;
}

ESHM_EXPORT int
eshm_options_set_connect_timeout_ms(ESHMOptions *options, uint32_t timeout_ms)
{
	if (options == NULL || timeout_ms == 0 || timeout_ms > ESHM_CONNECT_MS_MAX)
		return ESHM_ERROR_INVALID_PARAM;
	options->connect_timeout_ms = timeout_ms;
	return ESHM_SUCCESS;
}

ESHM_EXPORT int
eshm_options_set_takeover_stale_ms(ESHMOptions *options, uint32_t stale_ms)
{
	if (options == NULL || stale_ms > ESHM_STALE_THRESHOLD_MS_MAX)
		return ESHM_ERROR_INVALID_PARAM;
	options->takeover_ms = stale_ms;
	return ESHM_SUCCESS;
}

ESHM_EXPORT int
eshm_options_set_channel_mode(ESHMOptions *options, ESHMChannelMode mode)
{
	if (options == NULL || (mode != ESHM_CHANNEL_LATEST && mode != ESHM_CHANNEL_QUEUE))
		return ESHM_ERROR_INVALID_PARAM;
	options->channel_mode = (uint32_t)mode;
	return ESHM_SUCCESS;
}

ESHM_EXPORT int
eshm_options_set_queue_depth(ESHMOptions *options, uint32_t messages)
{
	if (options == NULL || messages > ESHM_QUEUE_DEPTH_MAX)
		return ESHM_ERROR_INVALID_PARAM;
	options->queue_depth = messages;
	return ESHM_SUCCESS;
}

ESHM_EXPORT int
eshm_options_set_timestamps(ESHMOptions *options, bool timestamps)
{
	if (options == NULL)
		return ESHM_ERROR_INVALID_PARAM;
	options->timestamps = timestamps;
	return ESHM_SUCCESS;
}

ESHM_EXPORT int
eshm_options_set_stand_in(ESHMOptions *options, bool stand_in)
{
	if (options == NULL)
		return ESHM_ERROR_INVALID_PARAM;
	options->stand_in = stand_in;
	return ESHM_SUCCESS;
}

ESHM_EXPORT int
eshm_options_set_observed_role(ESHMOptions *options, ESHMRole writer)
{
	if (options == NULL || seg_role_index((uint32_t)writer) < 0)
		return ESHM_ERROR_INVALID_PARAM;
	options->observed = (uint32_t)writer;
	return ESHM_SUCCESS;
}
