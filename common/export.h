/*
 * export.h - marks the functions libeshm-client exports.  Everything is
 * built with -fvisibility=hidden, and libclient/libeshm-client.map names
 * each exported function in its version node.
 */
#ifndef ESHM_COMMON_EXPORT_H
#define ESHM_COMMON_EXPORT_H

#define ESHM_EXPORT __attribute__((visibility("default")))

#endif /* ESHM_COMMON_EXPORT_H */
