using System.Text;
using KpNode.Trust;

namespace KpNode.Tests.Trust;

public class PaeTests
{
    [Fact]
    public void Pae_matches_the_dsse_specification_example()
    {
        var pae = Pae.Encode("http://example.com/HelloWorld", "hello world"u8);

        Assert.Equal("DSSEv1 29 http://example.com/HelloWorld 11 hello world", Encoding.ASCII.GetString(pae));
    }

    [Fact]
    public void Pae_of_empty_type_and_body_keeps_every_separator()
    {
        Assert.Equal("DSSEv1 0  0 "u8.ToArray(), Pae.Encode("", []));
    }

    [Fact]
    public void Pae_lengths_count_utf8_bytes_not_characters()
    {
        var pae = Pae.Encode("type/é", [0x00, 0xFF]);

        byte[] expected = [.. "DSSEv1 7 type/"u8, 0xC3, 0xA9, .. " 2 "u8, 0x00, 0xFF];
        Assert.Equal(expected, pae);
    }
}
