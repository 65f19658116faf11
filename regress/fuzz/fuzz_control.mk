fuzz_control_OBJS = ep2d/control.o ep2d/proc.o common/imsg.o common/addr.o common/log.o common/file.o
