/*
 * fuzz_config.c - libFuzzer target for the blfedd configuration file
 * parser (agent/blfedd/config.c, blfedd.conf.5).
 *
 * config_load() reads a path, so each input is written to a private file
 * (created once per process in a mkdtemp directory, rewritten per run) and
 * the parser is compiled into this target from its source, with the daemon
 * files it calls: the daemon's objects are not in the fuzz library.  The
 * oracle: a refused file names the file in its message; an accepted one holds only absolute file names,
 * NUL-terminated strings, an ipc:/// control URL, peer and listen counts
 * within their limits, and redial-min <= redial-max.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../agent/blfedd/config.c"
/* the export-* keywords are checked through the daemon's export settings
 * (export.c), which log through log.c: both come along where they exist */
#if __has_include("../../agent/blfedd/export.c")
#include "../../agent/blfedd/export.c"
#include "../../agent/blfedd/log.c"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_dir[64], fuzz_path[96];

static void
check(int cond)
{
	if (!cond)
		__builtin_trap();
}

static void
check_str(const char *s, size_t cap, int absolute)
{
	check(memchr(s, '\0', cap) != NULL);
	if (absolute && s[0] != '\0')
		check(s[0] == '/');
}

static void
cleanup(void)
{
	unlink(fuzz_path);
	rmdir(fuzz_dir);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config cfg;
	char err[2048];
	FILE *f;
	size_t i;

	if (fuzz_path[0] == '\0') {
		snprintf(fuzz_dir, sizeof(fuzz_dir), "/tmp/fuzz_config.XXXXXX");
		if (mkdtemp(fuzz_dir) == NULL)
			abort();
		snprintf(fuzz_path, sizeof(fuzz_path), "%s/blfedd.conf", fuzz_dir);
		atexit(cleanup);
	}
	if ((f = fopen(fuzz_path, "wb")) == NULL)
		abort();
	if (size > 0 && fwrite(data, 1, size, f) != size)
		abort();
	if (fclose(f) != 0)
		abort();
	err[0] = '\0';
	if (config_load(fuzz_path, &cfg, err, sizeof(err)) != 0) {
		check(strncmp(err, fuzz_path, strlen(fuzz_path)) == 0);
		return 0;
	}
	check(strcmp(cfg.path, fuzz_path) == 0);
	check_str(cfg.key, sizeof(cfg.key), 1);
	check_str(cfg.trust, sizeof(cfg.trust), 1);
	check_str(cfg.datadir, sizeof(cfg.datadir), 1);
	check_str(cfg.pidfile, sizeof(cfg.pidfile), 1);
	check_str(cfg.metrics, sizeof(cfg.metrics), 1);
	check_str(cfg.user, sizeof(cfg.user), 0);
	check_str(cfg.control_group, sizeof(cfg.control_group), 0);
	check_str(cfg.control, sizeof(cfg.control), 0);
	check(strncmp(cfg.control, "ipc:///", 7) == 0);
	check(cfg.net.npeers <= NET_MAX_PEERS);
	check(cfg.net.nlisten <= NET_MAX_LISTEN && cfg.net.nsync <= NET_MAX_LISTEN);
	check(cfg.net.redial_min_ms <= cfg.net.redial_max_ms);
	check(cfg.threshold > 0 && cfg.net.queue_depth > 0);
	for (i = 0; i < cfg.net.npeers; i++) {
		check_str(cfg.net.peers[i].name, sizeof(cfg.net.peers[i].name), 0);
		check_str(cfg.net.peers[i].pub_url, sizeof(cfg.net.peers[i].pub_url), 0);
		check_str(cfg.net.peers[i].sync_url, sizeof(cfg.net.peers[i].sync_url), 0);
	}
	return 0;
}
