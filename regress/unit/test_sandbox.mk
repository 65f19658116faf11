test_sandbox_OBJS = ep2d/sandbox.o ep2d/landlock.o ep2d/seccomp.o ep2d/connector.o ep2d/proc.o common/imsg.o common/log.o common/file.o
