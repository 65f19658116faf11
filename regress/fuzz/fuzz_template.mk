fuzz_template_OBJS = ep2d/template.o ep2d/config.o common/addr.o common/log.o common/file.o
