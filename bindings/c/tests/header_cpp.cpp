// The header compiles as C++ (inside its extern "C" block) with -Wall -Wextra -Wpedantic -Werror.
#include "ftpkit.h"

#include <cstdio>

int main() {
    ftpkit_reply_decoder *d = nullptr;
    if (ftpkit_reply_decoder_new(FTPKIT_FRAMING_STRICT, 0, 0, 0, &d) != FTPKIT_OK) return 1;
    ftpkit_reply_decoder_free(d);
    std::printf("header_cpp: libftpkit %s from C++\n", ftpkit_version());
    return 0;
}
