test_servers_OBJS = ep2d/filesrc.o ep2d/set.o common/addr.o common/log.o common/file.o
