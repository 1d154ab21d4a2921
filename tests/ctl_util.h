/*
 * ctl_util.h - running the built eshmctl from a cmocka test against the
 * private eshmd of tests/harness.h ($ESHM_SOCKET), and reading its --json
 * output with json-c.
 */
#ifndef ESHM_TESTS_CTL_UTIL_H
#define ESHM_TESTS_CTL_UTIL_H

#include <stdbool.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "proc_util.h"

/* Generous: a loaded 2-core machine, or a run under valgrind. */
#define CTL_RUN_TIMEOUT_MS 30000

/*
 * Run the built eshmctl with the NULL-terminated @args (as user @uid unless
 * it is -1: then a copy that user can reach), collect stdout and stderr
 * into @r, and return its exit code.
 */
int ctl_run_as(struct tp_output *r, uid_t uid, const char *const *args);

/* ctl_run_as() as the test's own user, the arguments listed, NULL last. */
int ctl_runv(struct tp_output *r, ...);

#define CTL(...) ctl_runv(__VA_ARGS__, (const char *)NULL)

/* Remove the copy ctl_run_as() made for other users, if any (teardown). */
void ctl_util_cleanup(void);

/* The JSON document "eshmctl @cmd [@name] --json" printed; fails the test unless it parses. */
json_object *ctl_json(const char *cmd, const char *name);

/* The value at the dotted @path of @o; fails the test if there is none. */
json_object *jget(json_object *o, const char *path);
long long jint(json_object *o, const char *path);
const char *jstr(json_object *o, const char *path);

#endif /* ESHM_TESTS_CTL_UTIL_H */
