/*
 * test_receiver: the receiver's form login parsing (receiver_form_field);
 * the service itself is tested with real processes in
 * tests/integration/test_receiver.sh.
 */
#include "receiver.h"
#include "unit.h"

static const char *field(const char *body, const char *name)
{
    static strbuf out = STRBUF_INIT;
    strbuf_reset(&out);
    return receiver_form_field(body, name, &out) ? out.buf : NULL;
}

static void test_form(void)
{
    CHECK_STR(field("username=erp&password=s3cret", "username"), "erp");
    CHECK_STR(field("username=erp&password=s3cret", "password"), "s3cret");
    CHECK_STR(field("username=a%20b+c%26d&password=", "username"), "a b c&d");
    CHECK_STR(field("username=a%20b+c%26d&password=", "password"), "");
    CHECK(field("user=erp", "username") == NULL);
    CHECK(field("usernamex=erp", "username") == NULL);
    CHECK(field("", "username") == NULL);
    /* malformed escapes are kept as they are, never read past the end */
    CHECK_STR(field("username=%zz%4", "username"), "%zz%4");
    CHECK_STR(field("password=%", "password"), "%");
    CHECK_STR(field("a=1&username=%C3%BC", "username"), "\xc3\xbc");
}

int main(void)
{
    RUN(test_form);
    return unit_done();
}
