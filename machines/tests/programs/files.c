// expect-exit: 0
// build: glibc
// host: files
// Files through the host: create, write, append, read, lseek, pread, stat, fstat, statx,
// a directory listed with getdents64 (sorted, so the order is the file system's business),
// dup/dup3/fcntl, a pipe within one process, readlink, access, chmod, rename, unlink, rmdir,
// getcwd/chdir, sendfile and a file-backed mmap. Runs in an empty scratch directory.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }

int main(void) {
    int fd = open("a.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    printf("open %d\n", fd >= 3);
    printf("write %zd\n", write(fd, "hello\n", 6));
    close(fd);
    fd = open("a.txt", O_WRONLY | O_APPEND);
    printf("append %zd\n", write(fd, "world\n", 6));
    close(fd);
    char buf[64] = {0};
    fd = open("a.txt", O_RDONLY | O_CLOEXEC);
    printf("read %zd [%.12s]\n", read(fd, buf, sizeof buf), buf);
    printf("lseek %ld\n", (long)lseek(fd, 2, SEEK_SET));
    memset(buf, 0, sizeof buf);
    printf("read %zd [%s]\n", read(fd, buf, 3), buf);
    memset(buf, 0, sizeof buf);
    printf("pread %zd [%s]\n", pread(fd, buf, 5, 6), buf);
    printf("cloexec %d\n", fcntl(fd, F_GETFD) & FD_CLOEXEC);
    printf("getfl %d\n", fcntl(fd, F_GETFL) & O_ACCMODE);
    struct stat st;
    fstat(fd, &st);
    printf("fstat size %ld reg %d mode %o\n", (long)st.st_size, S_ISREG(st.st_mode), st.st_mode & 0777);
    int d = dup(fd);
    int d2 = fcntl(fd, F_DUPFD, 20);
    printf("dup %d %d\n", d > fd, d2 >= 20);
    printf("dup3 %d\n", dup3(fd, 30, O_CLOEXEC));
    close(d); close(d2); close(30);
    struct termios t;
    printf("tcgets %d %d\n", ioctl(fd, TCGETS, &t), errno);
    close(fd);
    printf("close again %d %d\n", close(fd), errno);

    printf("stat %d size %ld\n", stat("a.txt", &st), (long)st.st_size);
    printf("stat missing %d %d\n", stat("nope", &st), errno);
    struct statfs sfs;
    printf("statfs %d fstatfs %d\n", statfs(".", &sfs), fstatfs(0, &sfs));
    struct statx sx;
    printf("statx %d size %llu\n", statx(AT_FDCWD, "a.txt", 0, STATX_SIZE, &sx), (unsigned long long)sx.stx_size);
    printf("access %d %d\n", access("a.txt", R_OK), access("nope", F_OK));
    printf("open missing %d %d\n", open("nope", O_RDONLY), errno);
    printf("excl %d %d\n", open("a.txt", O_CREAT | O_EXCL | O_WRONLY, 0600), errno);
    printf("chmod %d\n", chmod("a.txt", 0600));
    stat("a.txt", &st);
    printf("mode %o\n", st.st_mode & 0777);

    mode_t old_mask = umask(027);
    printf("umask %o\n", umask(027)); // the first answer is the environment's
    printf("mkdir %d\n", mkdir("dir", 0777));
    stat("dir", &st);
    printf("dir mode %o\n", st.st_mode & 0777);
    umask(old_mask);
    printf("mkdir again %d %d\n", mkdir("dir", 0755), errno);
    for (int i = 0; i < 3; i++) {
        char name[32];
        snprintf(name, sizeof name, "dir/f%d", i);
        close(open(name, O_CREAT | O_WRONLY, 0644));
    }
    printf("symlink %d\n", symlink("a.txt", "dir/link"));
    ssize_t n = readlink("dir/link", buf, sizeof buf);
    printf("readlink %zd [%.*s]\n", n, (int)n, buf);
    printf("open dir as file %d %d\n", open("a.txt", O_RDONLY | O_DIRECTORY), errno);
    DIR *dir = opendir("dir");
    char *names[16];
    int count = 0;
    struct dirent *e;
    while ((e = readdir(dir)) && count < 16)
        names[count++] = strdup(e->d_name);
    closedir(dir);
    qsort(names, count, sizeof *names, cmp);
    for (int i = 0; i < count; i++)
        printf("entry %s\n", names[i]);

    printf("rename %d\n", rename("dir/f0", "dir/g0"));
    printf("chdir %d\n", chdir("dir"));
    char cwd[4096];
    printf("getcwd ends dir %d\n", strcmp(strrchr(getcwd(cwd, sizeof cwd), '/'), "/dir") == 0);
    printf("unlink %d %d %d %d\n", unlink("g0"), unlink("f1"), unlink("f2"), unlink("link"));
    printf("unlink missing %d %d\n", unlink("g0"), errno);
    chdir("..");
    printf("rmdir %d\n", rmdir("dir"));

    int p[2];
    printf("pipe %d\n", pipe2(p, O_CLOEXEC));
    printf("pipe write %zd\n", write(p[1], "through the pipe", 16));
    struct pollfd pf[2];
    pf[0].fd = p[0];
    pf[0].events = POLLIN;
    pf[1].fd = p[1];
    pf[1].events = POLLOUT;
    // ppoll, not poll: glibc's poll converts its timeout with AdvSIMD, which the model lacks.
    struct timespec tmo = {0, 100000000};
    printf("ppoll %d %x %x\n", ppoll(pf, 2, &tmo, NULL), pf[0].revents, pf[1].revents);
    close(p[1]);
    memset(buf, 0, sizeof buf);
    printf("pipe read %zd [%s]\n", read(p[0], buf, sizeof buf), buf);
    printf("pipe eof %zd\n", read(p[0], buf, sizeof buf));
    close(p[0]);

    fd = open("a.txt", O_RDONLY);
    char *m = mmap(0, 12, PROT_READ, MAP_PRIVATE, fd, 0);
    printf("mmap [%.11s]\n", m);
    munmap(m, 12);
    close(fd);

    FILE *f = fopen("b.txt", "w");
    for (int i = 0; i < 1000; i++)
        fprintf(f, "line %d\n", i);
    fclose(f);
    f = fopen("b.txt", "r");
    long sum = 0;
    int v;
    while (fscanf(f, "line %d\n", &v) == 1)
        sum += v;
    fclose(f);
    printf("stdio sum %ld\n", sum);
    fd = open("b.txt", O_RDONLY);
    off_t off = 7;
    fflush(stdout);
    ssize_t sent = sendfile(1, fd, &off, 14);
    printf("sendfile %zd off %ld\n", sent, (long)off);
    fflush(stdout);
    sent = sendfile(1, fd, NULL, 7);
    printf("sendfile %zd pos %ld\n", sent, (long)lseek(fd, 0, SEEK_CUR));
    close(fd);
    printf("readlink exe %d\n", readlink("/proc/self/exe", buf, sizeof buf) > 0);
    // /proc/self/exe is the guest program (an AArch64 ELF), not the emulator.
    fd = open("/proc/self/exe", O_RDONLY);
    unsigned char ehdr[20] = {0};
    read(fd, ehdr, sizeof ehdr);
    close(fd);
    printf("exe ELF %d machine %d\n", memcmp(ehdr, "\177ELF", 4) == 0, ehdr[18] | ehdr[19] << 8);
    stat("/proc/self/exe", &st);
    printf("exe stat regular %d\n", S_ISREG(st.st_mode));
    fd = open("c.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    struct iovec iov[3] = {{"vec", 3}, {"tored ", 6}, {"io\n", 3}};
    printf("writev %zd\n", writev(fd, iov, 3));
    char x[4] = {0}, y[9] = {0};
    struct iovec in[2] = {{x, 3}, {y, 8}};
    lseek(fd, 0, SEEK_SET);
    printf("readv %zd [%s|%s]\n", readv(fd, in, 2), x, y);
    printf("pwrite %zd\n", pwrite(fd, "VEC", 3, 0));
    printf("fsync %d fdatasync %d\n", fsync(fd), fdatasync(fd));
    memset(x, 0, sizeof x);
    printf("pread %zd [%s]\n", pread(fd, x, 3, 0), x);
    printf("ftruncate %d\n", ftruncate(fd, 5));
    printf("fchown %d\n", fchown(fd, -1, -1));
    struct timespec times[2] = {{1000000000, 0}, {1234567890, 500}};
    printf("futimens %d\n", futimens(fd, times));
    fstat(fd, &st);
    printf("size %ld mtime %ld.%09ld\n", (long)st.st_size, (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    printf("utimensat %d\n", utimensat(AT_FDCWD, "c.txt", times, 0));
    printf("fchmod %d\n", fchmod(fd, 0640));
    stat("c.txt", &st);
    printf("mode %o atime %ld\n", st.st_mode & 0777, (long)st.st_atim.tv_sec);
    printf("F_SETFL %d getfl append %d\n", fcntl(fd, F_SETFL, O_APPEND), !!(fcntl(fd, F_GETFL) & O_APPEND));
    close(fd);
    printf("faccessat W_OK %d\n", faccessat(AT_FDCWD, "c.txt", W_OK, 0));
    printf("fchownat %d\n", fchownat(AT_FDCWD, "c.txt", -1, -1, AT_SYMLINK_NOFOLLOW));
    fd = open("c.txt", O_PATH);
    printf("O_PATH fstat %d size %ld read %zd errno %d\n", fstat(fd, &st), (long)st.st_size,
           read(fd, buf, 1), errno);
    close(fd);
    fd = open("c.txt", O_WRONLY | O_SYNC | O_NOCTTY | O_APPEND);
    printf("O_SYNC write %zd getfl append %d\n", write(fd, "!", 1), (fcntl(fd, F_GETFL) & O_APPEND) != 0);
    close(fd);
    unlink("c.txt");
    unlink("a.txt");
    unlink("b.txt");
    return 0;
}
