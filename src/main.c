/* The only file outside libnetkit: everything else is testable. */
#include "commands.h"

int
main(int argc, char **argv)
{
    return nk_main(argc, argv);
}
