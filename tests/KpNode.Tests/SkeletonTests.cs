namespace KpNode.Tests;

public class SkeletonTests
{
    [Fact]
    public void Certificate_statuses_match_the_wire_contract()
    {
        foreach (var status in Enum.GetValues<KpNode.Domain.CertificateStatus>())
        {
            var wire = (KpNode.Wire.V1.CertificateStatus)(int)status;
            Assert.Equal(status.ToString(), wire.ToString());
        }
    }
}
