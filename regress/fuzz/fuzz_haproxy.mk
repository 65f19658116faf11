fuzz_haproxy_OBJS = ep2d/haproxy.o common/addr.o common/log.o common/file.o
