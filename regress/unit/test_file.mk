test_file_OBJS = common/file.o
