test_consul_watch_OBJS = ep2d/consul_watch.o common/log.o common/file.o
