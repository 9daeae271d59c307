"""The callback XML as the handlers read it: WeChat's flat fields, its nested event payloads, and bodies that
are not what WeChat sends refused as 400 rather than half-read."""

from __future__ import annotations

import pytest

from bot.wechat.protocol import ProtocolError, parse_xml, to_inbound


def test_flat_fields_are_trimmed_text_and_empty_ones_none() -> None:
    root = parse_xml(b"<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o_1]]></FromUserName>"
                     b"<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
                     b"<Content><![CDATA[  \xe4\xbd\xa0\xe5\xa5\xbd ]]></Content><MsgId>42</MsgId><Extra/></xml>")
    assert root == {"ToUserName": "gh_1", "FromUserName": "o_1", "CreateTime": "1700000000", "MsgType": "text",
                    "Content": "你好", "MsgId": "42", "Extra": None}
    inbound = to_inbound(root)
    assert (inbound.openid, inbound.kind, inbound.text, inbound.msg_id) == ("o_1", "text", "你好", "42")


def test_nested_event_payloads_keep_their_shape() -> None:
    root = parse_xml(b"<xml><FromUserName>o_1</FromUserName><MsgType>event</MsgType><Event>pic_sysphoto</Event>"
                     b"<EventKey>PHOTO</EventKey><SendPicsInfo><Count>2</Count><PicList>"
                     b"<item><PicMd5Sum>a1</PicMd5Sum></item><item><PicMd5Sum>b2</PicMd5Sum></item>"
                     b"</PicList></SendPicsInfo></xml>")
    assert root["SendPicsInfo"] == {"Count": "2", "PicList": {"item": [{"PicMd5Sum": "a1"}, {"PicMd5Sum": "b2"}]}}
    assert to_inbound(root).event == "pic_sysphoto"


@pytest.mark.parametrize("body", [
    b"<xml><FromUserName><a>o</a></FromUserName><MsgType>text</MsgType></xml>",  # a field that is not text
    b"<notxml><FromUserName>o</FromUserName><MsgType>text</MsgType></notxml>",  # another root
    b"<xml>just text</xml>",
])
def test_what_wechat_never_sends_is_refused(body: bytes) -> None:
    with pytest.raises(ProtocolError) as err:
        to_inbound(parse_xml(body))
    assert err.value.status == 400
