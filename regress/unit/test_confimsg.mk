test_confimsg_OBJS = ep2d/config_imsg.o ep2d/config.o common/addr.o common/imsg.o common/log.o common/file.o
