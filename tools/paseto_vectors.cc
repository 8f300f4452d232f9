// paseto_vectors: checks PASETO v4.public test vectors against vaultd's
// implementation. Usage: paseto_vectors VECTORS_JSON_FILE
// Exit status: 0 all checked vectors passed, 1 a vector failed (or none was
// checked), 2 usage error or unreadable/malformed file.

#include <iostream>

#include "vaultd/token/vectors.h"

int main(int argc, char** argv) {
  return layer_vault::token::RunVectorsCli(argc, argv, std::cout, std::cerr);
}
