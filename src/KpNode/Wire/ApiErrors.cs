using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using KpNode.Domain;

namespace KpNode.Wire;

/// <summary>
/// The one way our gRPC adapters refuse a call: a google.rpc.Status with the standard code and, for broken rules,
/// BadRequest field violations, so that any gRPC client (and JSON transcoding) can show which field broke which rule.
/// </summary>
internal static class ApiErrors
{
    public static RpcException Invalid(string field, string rule) => Refuse(StatusCode.InvalidArgument, $"{field}: {rule}", [new Violation(field, rule)]);

    /// <summary>Bytes that do not parse as the request message; the reason is the parser's, already short.</summary>
    public static RpcException NotAValidMessage(string messageName, string reason) =>
        Refuse(StatusCode.InvalidArgument, $"the message is not a valid {messageName}: {reason}; send it as its .proto defines it");

    public static RpcException Refuse(StatusCode code, string message, IReadOnlyList<Violation>? violations = null)
    {
        var status = new Google.Rpc.Status { Code = (int)code, Message = message };
        if (violations is { Count: > 0 })
        {
            var badRequest = new BadRequest();
            foreach (var v in violations.Take(Violation.MaxListed))
            {
                badRequest.FieldViolations.Add(new BadRequest.Types.FieldViolation { Field = v.Field, Description = v.Rule });
            }

            if (violations.Count > Violation.MaxListed)
            {
                badRequest.FieldViolations.Add(new BadRequest.Types.FieldViolation
                {
                    Field = "",
                    Description = $"and {violations.Count - Violation.MaxListed} more of the same rules",
                });
            }

            status.Details.Add(Any.Pack(badRequest));
        }

        return status.ToRpcException();
    }

    /// <summary>ErrorInfo's reason for a call the operator's certificate grants no role for.</summary>
    public const string RoleRequiredReason = "ROLE_REQUIRED";

    /// <summary>
    /// PERMISSION_DENIED for an operator without the role a method needs: the message in words, and a
    /// google.rpc.ErrorInfo (reason ROLE_REQUIRED, metadata required and granted, role names joined by commas) for programs.
    /// </summary>
    public static RpcException RoleRequired(string message, string method, IEnumerable<string> required, IEnumerable<string> granted)
    {
        var info = new ErrorInfo { Reason = RoleRequiredReason, Domain = "kpnode" };
        info.Metadata.Add("method", method);
        info.Metadata.Add("required", string.Join(",", required));
        info.Metadata.Add("granted", string.Join(",", granted));
        var status = new Google.Rpc.Status { Code = (int)StatusCode.PermissionDenied, Message = message };
        status.Details.Add(Any.Pack(info));
        return status.ToRpcException();
    }

    /// <summary>The field violations a refusal carried, or none.</summary>
    public static IReadOnlyList<Violation> ViolationsOf(RpcException e) =>
        e.GetRpcStatus()?.GetDetail<BadRequest>() is { } badRequest
            ? badRequest.FieldViolations.Select(v => new Violation(v.Field, v.Description)).ToList()
            : [];
}
