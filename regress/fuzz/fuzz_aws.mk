fuzz_aws_OBJS = ep2d/aws_xml.o ep2d/aws_creds.o ep2d/http.o common/addr.o common/log.o common/file.o
