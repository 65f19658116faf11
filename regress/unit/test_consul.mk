test_consul_OBJS = ep2d/consul.o ep2d/consul_scan.o ep2d/consul_agent.o ep2d/consul_watch.o ep2d/http.o ep2d/set.o common/addr.o common/log.o common/file.o
