/*
 * ctl_util.c - the built eshmctl run from tests (see ctl_util.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ctl_util.h"
#include "harness.h"

static char ctl_copy[256]; /* eshmctl where other users reach it */

void
ctl_util_cleanup(void)
{
	if (ctl_copy[0] != '\0')
		tp_remove_copy(ctl_copy);
	ctl_copy[0] = '\0';
}

int
ctl_run_as(struct tp_output *r, uid_t uid, const char *const *args)
{
	const char *argv[32];
	int argc = 0;

	if (uid != (uid_t)-1 && ctl_copy[0] == '\0')
		tp_reachable_copy(th_build_path("ctl/eshmctl"), ctl_copy, sizeof(ctl_copy));
	argv[argc++] = uid != (uid_t)-1 ? ctl_copy : th_build_path("ctl/eshmctl");
	while (*args != NULL && argc < 31)
		argv[argc++] = *args++;
	argv[argc] = NULL;
	return tp_run(r, argv, uid, CTL_RUN_TIMEOUT_MS);
}

int
ctl_runv(struct tp_output *r, ...)
{
	const char *args[32];
	va_list ap;
	int n = 0;

	va_start(ap, r);
	while (n < 31 && (args[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	args[n] = NULL;
	return ctl_run_as(r, (uid_t)-1, args);
}

json_object *
ctl_json(const char *cmd, const char *name)
{
	static struct tp_output r;
	json_object *doc;

	if (name != NULL)
		CTL(&r, cmd, name, "--json");
	else
		CTL(&r, cmd, "--json");
	if (r.status != 0)
		fail_msg("eshmctl %s --json exited %d: %s", cmd, r.status, r.err);
	doc = json_tokener_parse(r.out);
	if (doc == NULL)
		fail_msg("eshmctl %s --json printed no valid JSON: %s", cmd, r.out);
	return doc;
}

json_object *
jget(json_object *o, const char *path)
{
	char key[64];
	const char *dot;
	json_object *v = o;

	while (v != NULL && *path != '\0') {
		dot = strchr(path, '.');
		snprintf(key, sizeof(key), "%.*s", dot ? (int)(dot - path) : (int)strlen(path), path);
		if (!json_object_object_get_ex(v, key, &v))
			fail_msg("JSON has no field %s", key);
		path = dot ? dot + 1 : path + strlen(path);
	}
	return v;
}

long long
jint(json_object *o, const char *path)
{
	return (long long)json_object_get_int64(jget(o, path));
}

const char *
jstr(json_object *o, const char *path)
{
	return json_object_get_string(jget(o, path));
}
