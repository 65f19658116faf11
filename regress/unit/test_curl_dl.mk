test_curl_dl_OBJS = ep2d/curl_dl.o common/log.o common/file.o
