test_awslc_OBJS = ep2d/aws_lifecycle.o ep2d/aws_lifecycle_event.o ep2d/aws_xml.o common/addr.o common/log.o common/file.o
