package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/helpr-chat/helpr/storage"
)

// collMail is the outgoing-mail queue (storage.MailStore), one document
// per mail keyed by its id. To, Subject and Text arrive sealed.
const collMail = "mail_queue"

// mailDoc is a stored mail. The zero times are absent fields, so
// {sent_at: null} matches a mail not sent yet.
type mailDoc struct {
	ID        string    `bson:"_id"`
	OrgID     string    `bson:"org_id"`
	Kind      string    `bson:"kind"`
	To        string    `bson:"to"`
	Subject   string    `bson:"subject"`
	Text      string    `bson:"text"`
	Attempts  int       `bson:"attempts"`
	CreatedAt time.Time `bson:"created_at"`
	NextAt    time.Time `bson:"next_at"`
	SentAt    time.Time `bson:"sent_at,omitempty"`
	FailedAt  time.Time `bson:"failed_at,omitempty"`
	Ins       int64     `bson:"ins"`
}

func newMailDoc(m storage.Mail) mailDoc {
	return mailDoc{ID: m.ID, OrgID: m.OrgID, Kind: m.Kind, To: m.To, Subject: m.Subject, Text: m.Text,
		Attempts: m.Attempts, CreatedAt: m.CreatedAt, NextAt: m.NextAt, SentAt: m.SentAt,
		FailedAt: m.FailedAt, Ins: nextIns()}
}

func (d mailDoc) mail() storage.Mail {
	return storage.Mail{ID: d.ID, OrgID: d.OrgID, Kind: d.Kind, To: d.To, Subject: d.Subject, Text: d.Text,
		Attempts: d.Attempts, CreatedAt: utc(d.CreatedAt), NextAt: utc(d.NextAt), SentAt: utc(d.SentAt),
		FailedAt: utc(d.FailedAt)}
}

// mailPending is the filter of a mail neither sent nor given up.
func mailPending() bson.D {
	return bson.D{{Key: "sent_at", Value: nil}, {Key: "failed_at", Value: nil}}
}

// EnqueueMail inserts a new mail; ErrConflict on a taken id.
func (s *Store) EnqueueMail(ctx context.Context, m storage.Mail) error {
	if err := storage.CheckMail(m); err != nil {
		return fmt.Errorf("enqueue mail: %w", err)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	_, err := s.coll(collMail).InsertOne(ctx, newMailDoc(m))
	return wrap(translate(err), "enqueue mail")
}

// collMailClaims holds one document per claim of a mail, keyed by the
// mail id and the claim's attempt number ("id:n"): inserting it is what
// wins the claim, on MongoDB and FerretDB alike (an insert is atomic on
// both; a conditional update is not on FerretDB v1, see doc.go).
const collMailClaims = "mail_claims"

// mailClaimDoc is one claim; it expires with its lease.
type mailClaimDoc struct {
	ID        string    `bson:"_id"`
	ExpiresAt time.Time `bson:"expires_at"`
}

// maxClaimSkips bounds how many dead claims (a claimer that crashed
// between its claim and the mail update) one claim steps over.
const maxClaimSkips = 3

// ClaimMail finds the due mails, earliest first, and claims each by
// inserting its next claim document (the unique _id decides between
// claimers of all nodes), then moves the mail to the claimed attempt and
// the lease end with an update filtered on the attempts it read.
func (s *Store) ClaimMail(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]storage.Mail, error) {
	if lease <= 0 {
		return nil, errors.New("claim mail: lease must be positive")
	}
	limit = min(limit, storage.MaxMailClaim)
	if limit <= 0 {
		return nil, nil
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	due := append(mailPending(), bson.E{Key: "next_at", Value: bson.D{{Key: "$lte", Value: now}}})
	found, err := findAll[mailDoc](ctx, s.coll(collMail), due, sorted(limit, asc("next_at"), asc("ins")))
	if err != nil {
		return nil, fmt.Errorf("claim mail: %w", err)
	}
	var out []storage.Mail
	for _, d := range found {
		m, ok, err := s.claimOne(ctx, d, now, lease)
		if err != nil {
			return out, fmt.Errorf("claim mail: %w", err)
		}
		if ok {
			out = append(out, m)
		}
	}
	return out, nil
}

// claimOne claims mail d, read due with d.Attempts; ok is false when
// another claimer was first.
func (s *Store) claimOne(ctx context.Context, d mailDoc, now time.Time, lease time.Duration) (storage.Mail, bool, error) {
	attempt, ok, err := s.insertMailClaim(ctx, d, now, lease)
	if err != nil || !ok {
		return storage.Mail{}, false, err
	}
	unlock, err := s.lockMail(ctx)
	if err != nil {
		return storage.Mail{}, false, err
	}
	defer unlock()
	filter := append(bson.D{{Key: "_id", Value: d.ID}, {Key: "attempts", Value: d.Attempts}}, mailPending()...)
	update := bson.D{{Key: "$set", Value: bson.D{{Key: "attempts", Value: attempt}, {Key: "next_at", Value: now.Add(lease)}}}}
	var got mailDoc
	err = translate(s.coll(collMail).FindOneAndUpdate(ctx, filter, update,
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&got))
	if errors.Is(err, storage.ErrNotFound) {
		return storage.Mail{}, false, nil // sent, given up or rescheduled meanwhile
	}
	if err != nil {
		return storage.Mail{}, false, err
	}
	return got.mail(), true, nil
}

// insertMailClaim inserts the claim of d's next attempt and returns its
// number. A claim of that attempt that is there and live means another
// claimer won (ok false); one whose lease is over belongs to a claimer
// that died before updating the mail, so the next number is tried.
func (s *Store) insertMailClaim(ctx context.Context, d mailDoc, now time.Time, lease time.Duration) (int, bool, error) {
	for attempt := d.Attempts + 1; attempt <= d.Attempts+maxClaimSkips; attempt++ {
		key := fmt.Sprintf("%s:%d", d.ID, attempt)
		_, err := s.coll(collMailClaims).InsertOne(ctx, mailClaimDoc{ID: key, ExpiresAt: now.Add(lease)})
		if err == nil {
			return attempt, true, nil
		}
		if !isDuplicate(err) {
			return 0, false, translate(err)
		}
		held, err := findOne[mailClaimDoc](ctx, s.coll(collMailClaims), byID(key))
		if errors.Is(err, storage.ErrNotFound) {
			continue // swept meanwhile: that number is spent anyway
		}
		if err != nil || held.ExpiresAt.After(now) {
			return 0, false, err
		}
	}
	return 0, false, nil
}

// lockMail takes this Store's lock stripe of the mail queue (shared with
// the conversation locks: stripes only queue) or fails when ctx ends.
func (s *Store) lockMail(ctx context.Context) (unlock func(), err error) {
	return s.lockStripe(ctx, "mail_queue", "the mail queue")
}

// MarkMailSent sets sent_at if it is not set yet; ErrNotFound if the mail
// does not exist.
func (s *Store) MarkMailSent(ctx context.Context, id string, at time.Time) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	filter := bson.D{{Key: "_id", Value: id}, {Key: "sent_at", Value: nil}}
	update := bson.D{{Key: "$set", Value: bson.D{{Key: "sent_at", Value: at}}}}
	err := updateOne(ctx, s.coll(collMail), filter, update)
	if errors.Is(err, storage.ErrNotFound) {
		_, err = findOne[mailDoc](ctx, s.coll(collMail), byID(id)) // sent already: nil
	}
	return wrap(err, "mark mail sent")
}

// MarkMailFailed moves next_at to retryAt if claim attempt is the latest.
func (s *Store) MarkMailFailed(ctx context.Context, id string, attempt int, retryAt time.Time) error {
	err := s.fencedMail(ctx, id, attempt, bson.D{{Key: "next_at", Value: retryAt}})
	return wrap(err, "mark mail failed")
}

// GiveUpMail sets failed_at if claim attempt is the latest.
func (s *Store) GiveUpMail(ctx context.Context, id string, attempt int, at time.Time) error {
	err := s.fencedMail(ctx, id, attempt, bson.D{{Key: "failed_at", Value: at}})
	return wrap(err, "give up mail")
}

// fencedMail sets fields on pending mail id whose attempts equal attempt,
// under the mail lock; when nothing matched, a read tells a missing mail
// (ErrNotFound) from a refused one (ErrConflict).
func (s *Store) fencedMail(ctx context.Context, id string, attempt int, set bson.D) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	unlock, err := s.lockMail(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	filter := append(bson.D{{Key: "_id", Value: id}, {Key: "attempts", Value: attempt}}, mailPending()...)
	err = updateOne(ctx, s.coll(collMail), filter, bson.D{{Key: "$set", Value: set}})
	if errors.Is(err, storage.ErrNotFound) {
		if _, err = findOne[mailDoc](ctx, s.coll(collMail), byID(id)); err == nil {
			err = fmt.Errorf("%w: mail claimed again, sent or given up", storage.ErrConflict)
		}
	}
	return err
}

// DeleteDoneMail removes mails sent or given up strictly before `before`
// (one DeleteMany per field), and the claims whose lease ended before it
// (uncounted).
func (s *Store) DeleteDoneMail(ctx context.Context, before time.Time) (int, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	total := 0
	for _, field := range []string{"sent_at", "failed_at"} {
		filter := bson.D{{Key: field, Value: bson.D{{Key: "$lt", Value: before}}}}
		res, err := s.coll(collMail).DeleteMany(ctx, filter)
		if err != nil {
			return total, fmt.Errorf("delete done mail: %w", translate(err))
		}
		total += int(res.DeletedCount)
	}
	expired := bson.D{{Key: "expires_at", Value: bson.D{{Key: "$lt", Value: before}}}}
	if _, err := s.coll(collMailClaims).DeleteMany(ctx, expired); err != nil {
		return total, fmt.Errorf("delete expired mail claims: %w", translate(err))
	}
	return total, nil
}
