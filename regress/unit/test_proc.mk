test_proc_OBJS = ep2d/proc.o common/imsg.o common/log.o common/file.o
