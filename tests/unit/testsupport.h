/*
 * testsupport.h: what several unit tests need from the outside world: a
 * free loopback port, and a private redis-server on a unix socket (no
 * persistence) that the test starts, restarts and kills itself.
 * Header-only (static inline), like unit.h.
 */
#ifndef FF_TESTSUPPORT_H
#define FF_TESTSUPPORT_H

#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* A loopback TCP port nothing listens on now: bind to port 0, read, close. */
static inline int ts_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&a, sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin_port);
}

static inline int ts_redis_ping(const char *sock_path)
{
    int ok = 0;
    redisContext *c = redisConnectUnix(sock_path);
    if (c && !c->err) {
        redisReply *r = redisCommand(c, "PING");
        ok = r && r->type == REDIS_REPLY_STATUS;
        if (r)
            freeReplyObject(r);
    }
    if (c)
        redisFree(c);
    return ok;
}

/* Starts redis-server on sock_path (and tcp_port on 127.0.0.1) and waits,
 * bounded, until it answers PING. Its pid, or -1. */
static inline pid_t ts_redis_start(const char *sock_path, int tcp_port)
{
    char port[16];
    snprintf(port, sizeof port, "%d", tcp_port);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        dup2(devnull, 1);
        dup2(devnull, 2);
        execlp("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1", "--unixsocket", sock_path,
               "--save", "", "--appendonly", "no", "--dir", "/tmp", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 500; i++) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid)
            return -1;
        if (ts_redis_ping(sock_path))
            return pid;
        usleep(10 * 1000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

/* Kills the server (if *pid > 0) and removes its socket. */
static inline void ts_redis_stop(pid_t *pid, const char *sock_path)
{
    if (*pid > 0) {
        kill(*pid, SIGKILL);
        waitpid(*pid, NULL, 0);
        *pid = -1;
    }
    unlink(sock_path);
}

#endif
